import { useMemo } from 'react';
import { encodeQr, qrSvgPath } from './qr.ts';

/**
 * A QR code as one SVG path: crisp at any size, dark on white with the 4-module quiet zone
 * the standard asks for. `label` is its accessible name (role="img").
 */
export function QrSvg(props: { content: string; label: string; size?: number; id?: string }) {
  const qr = useMemo(() => (props.content ? encodeQr(props.content) : null), [props.content]);
  const side = props.size ?? 240;
  if (!qr) return <div className="qr-placeholder" style={{ width: side, height: side }} aria-hidden="true" />;
  const units = qr.size + 8;
  return (
    <svg
      id={props.id}
      role="img"
      aria-label={props.label}
      className="qr"
      width={side}
      height={side}
      viewBox={`0 0 ${units} ${units}`}
      shapeRendering="crispEdges"
      data-version={qr.version}
      data-content={props.content}
    >
      <rect width={units} height={units} fill="#fff" />
      <path d={qrSvgPath(qr)} fill="#000" />
    </svg>
  );
}
