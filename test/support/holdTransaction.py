"""Another program on the card: connects to READER shared through libpcsclite (as OpenSC does;
a card just put in is waited for up to 5 s), begins a PC/SC transaction (SCardBeginTransaction),
says "holding" on stdout, and keeps the transaction until a line or the end of its stdin, or
MAX_MS, then ends it and says "released".

    python3 holdTransaction.py READER MAX_MS
"""
import ctypes
import ctypes.util
import sys
import threading
import time

reader, max_ms = sys.argv[1], int(sys.argv[2])
lib = ctypes.CDLL(ctypes.util.find_library("pcsclite") or "libpcsclite.so.1")
# pcsc-lite on Linux: LONG and DWORD are C longs, SCARDCONTEXT and SCARDHANDLE LONGs.
LONG, DWORD = ctypes.c_long, ctypes.c_ulong
SCARD_SCOPE_SYSTEM, SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0_T1, SCARD_LEAVE_CARD = 2, 2, 3, 0
SCARD_E_NO_SMARTCARD = 0x8010000C
lib.SCardEstablishContext.argtypes = [DWORD, ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(LONG)]
lib.SCardConnect.argtypes = [LONG, ctypes.c_char_p, DWORD, DWORD, ctypes.POINTER(LONG), ctypes.POINTER(DWORD)]
lib.SCardBeginTransaction.argtypes = [LONG]
lib.SCardEndTransaction.argtypes = [LONG, DWORD]
lib.SCardDisconnect.argtypes = [LONG, DWORD]
lib.SCardReleaseContext.argtypes = [LONG]
for f in (lib.SCardEstablishContext, lib.SCardConnect, lib.SCardBeginTransaction, lib.SCardEndTransaction, lib.SCardDisconnect, lib.SCardReleaseContext):
    f.restype = LONG


def check(rv, what):
    if rv != 0:
        print(f"{what} failed: 0x{rv & 0xFFFFFFFF:08x}", flush=True)
        sys.exit(1)


context, card, protocol = LONG(), LONG(), DWORD()
check(lib.SCardEstablishContext(SCARD_SCOPE_SYSTEM, None, None, ctypes.byref(context)), "SCardEstablishContext")
# A card just put in the reader reaches pcscd within a poll (vpcd: 400 ms): wait for it.
for _ in range(50):
    rv = lib.SCardConnect(context, reader.encode(), SCARD_SHARE_SHARED, SCARD_PROTOCOL_T0_T1, ctypes.byref(card), ctypes.byref(protocol))
    if rv & 0xFFFFFFFF != SCARD_E_NO_SMARTCARD:
        break
    time.sleep(0.1)
check(rv, "SCardConnect")
check(lib.SCardBeginTransaction(card), "SCardBeginTransaction")
print("holding", flush=True)
told = threading.Event()
threading.Thread(target=lambda: (sys.stdin.readline(), told.set()), daemon=True).start()
told.wait(max_ms / 1000)
check(lib.SCardEndTransaction(card, SCARD_LEAVE_CARD), "SCardEndTransaction")
print("released", flush=True)
lib.SCardDisconnect(card, SCARD_LEAVE_CARD)
lib.SCardReleaseContext(context)
