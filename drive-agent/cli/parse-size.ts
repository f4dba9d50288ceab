const units: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  t: 1024 ** 4,
  tib: 1024 ** 4,
  kb: 1e3,
  mb: 1e6,
  gb: 1e9,
  tb: 1e12,
};

/** "256MiB", "18TB", "64k" → bytes. Bare K/M/G/T are binary, as in dd; KB/MB/GB/TB decimal, as on tape boxes. */
export function parseSize(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim());
  const factor = match?.[2] !== undefined ? units[match[2].toLowerCase()] : undefined;
  if (!match?.[1] || factor === undefined) throw new RangeError(`not a size: "${text}" (try 256MiB or 18TB)`);
  return Math.round(Number(match[1]) * factor);
}

export function formatSize(bytes: number): string {
  const steps = ["B", "KiB", "MiB", "GiB", "TiB"];
  let value = bytes;
  let step = 0;
  while (value >= 1024 && step < steps.length - 1) {
    value /= 1024;
    step++;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${steps[step]}`;
}
