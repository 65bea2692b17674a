export function App() {
  return (
    <main>
      <h1>e-kort</h1>
      <p>Logga in med BankID på kort, säkerhetsdosa eller Mobilt BankID.</p>
    </main>
  );
}
