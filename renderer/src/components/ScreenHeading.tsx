import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A screen's heading: focused when the screen appears, so keyboard and screen-reader users
 * start at the top of the new screen; a screen's own (level 1) heading is also the page title,
 * so the window and the screen reader say where the user is (WCAG 2.4.2).
 */
export function ScreenHeading({ children, level = 1, id }: { children: ReactNode; level?: 1 | 2; id?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  useEffect(() => {
    const text = ref.current?.textContent?.trim();
    if (level === 1 && text) document.title = `${text} – e-kort`;
  });
  const Tag = level === 1 ? 'h1' : 'h2';
  return (
    <Tag ref={ref} tabIndex={-1} id={id} className="screen-heading">
      {children}
    </Tag>
  );
}
