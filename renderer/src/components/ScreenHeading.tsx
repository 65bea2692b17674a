import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A screen's heading: focused when the screen appears, so keyboard and screen-reader users
 * start at the top of the new screen.
 */
export function ScreenHeading({ children, level = 1, id }: { children: ReactNode; level?: 1 | 2; id?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    ref.current?.focus();
  }, []);
  const Tag = level === 1 ? 'h1' : 'h2';
  return (
    <Tag ref={ref} tabIndex={-1} id={id} className="screen-heading">
      {children}
    </Tag>
  );
}
