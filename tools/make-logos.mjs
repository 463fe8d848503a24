// Draws the kernelspec logos (a still pool: ripples over a teal square) as SVG and as PNGs,
// rasterised here with 4x4 supersampling so no image library is needed.
import { writeFileSync } from "node:fs";
import { deflateSync } from "node:zlib";

const TEAL = [20, 94, 110];
const LIGHT = [232, 244, 242];

function coverage(x, y) {
  // Unit square [0,1]^2; a rounded square background with rings centred low.
  const r = 0.18;
  const dx = Math.max(Math.abs(x - 0.5) - (0.5 - r), 0);
  const dy = Math.max(Math.abs(y - 0.5) - (0.5 - r), 0);
  if (Math.hypot(dx, dy) > r) return null;
  const d = Math.hypot((x - 0.5) / 1.0, (y - 0.6) / 0.55);
  const ring = [0.12, 0.26, 0.4].some((R, i) => Math.abs(d - R) < 0.035 - i * 0.006);
  const drop = Math.hypot(x - 0.5, y - 0.3) < 0.07;
  return ring || drop ? LIGHT : TEAL;
}

function crc32(buf) {
  let c,
    crc = 0xffffffff;
  for (const b of buf) {
    c = (crc ^ b) & 0xff;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    crc = (crc >>> 8) ^ c;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, "ascii"), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}

function png(size) {
  const rows = [];
  for (let py = 0; py < size; py++) {
    const row = [0];
    for (let px = 0; px < size; px++) {
      const acc = [0, 0, 0, 0];
      for (let sy = 0; sy < 4; sy++)
        for (let sx = 0; sx < 4; sx++) {
          const c = coverage((px + (sx + 0.5) / 4) / size, (py + (sy + 0.5) / 4) / size);
          if (!c) continue;
          acc[0] += c[0];
          acc[1] += c[1];
          acc[2] += c[2];
          acc[3] += 255;
        }
      const n = acc[3] / 255;
      row.push(n ? Math.round(acc[0] / n) : 0, n ? Math.round(acc[1] / n) : 0, n ? Math.round(acc[2] / n) : 0, Math.round(acc[3] / 16));
    }
    rows.push(Buffer.from(row));
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8;
  ihdr[9] = 6; // 8-bit RGBA
  return Buffer.concat([
    Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]),
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(Buffer.concat(rows))),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}

const svg = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <rect width="64" height="64" rx="11.5" fill="rgb(${TEAL})"/>
  <g fill="none" stroke="rgb(${LIGHT})">
    <ellipse cx="32" cy="38.4" rx="7.7" ry="4.2" stroke-width="4.4"/>
    <ellipse cx="32" cy="38.4" rx="16.6" ry="9.2" stroke-width="3.7"/>
    <ellipse cx="32" cy="38.4" rx="25.6" ry="14.1" stroke-width="2.9"/>
  </g>
  <circle cx="32" cy="19.2" r="4.5" fill="rgb(${LIGHT})"/>
</svg>
`;
const dir = new URL("../kernelspec/", import.meta.url);
writeFileSync(new URL("logo-32x32.png", dir), png(32));
writeFileSync(new URL("logo-64x64.png", dir), png(64));
writeFileSync(new URL("logo-svg.svg", dir), svg);
