// Jupyter counts cursor positions in Unicode code points; JavaScript strings index UTF-16 units.
// Text with astral characters (emoji, some CJK) differs between the two.

export function codePointToUtf16(text: string, codePoints: number): number {
  let units = 0;
  let points = 0;
  while (points < codePoints && units < text.length) {
    const c = text.charCodeAt(units);
    units += c >= 0xd800 && c <= 0xdbff && units + 1 < text.length ? 2 : 1;
    points++;
  }
  return units;
}

export function utf16ToCodePoint(text: string, units: number): number {
  let points = 0;
  for (let i = 0; i < units && i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) i++;
    points++;
  }
  return points;
}
