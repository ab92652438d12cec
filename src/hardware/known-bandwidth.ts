/**
 * Published memory bandwidth of common GPUs. Token generation is memory-bound, so fit estimates speed from
 * this figure; no API reports it, hence a table. Unknown GPUs get none and fit falls back to its estimate.
 * Figures are the vendors' specifications in GB/s (decimal).
 */

interface Entry {
  /** Matched against the lowercase model name; the first matching entry wins, so specific names come first. */
  pattern: RegExp;
  gbPerSecond: number;
  /** Only when the card has at most this much VRAM (variants that share a name: RTX 3060 8 GB vs 12 GB). */
  maxVramGiB?: number;
}

const TABLE: Entry[] = [
  // NVIDIA data centre
  { pattern: /\bgh200\b/, gbPerSecond: 4900 },
  { pattern: /\bh200\b/, gbPerSecond: 4800 },
  { pattern: /\bh100\b.*\bnvl\b/, gbPerSecond: 3900 },
  { pattern: /\bh100\b.*\bpcie\b/, gbPerSecond: 2000 },
  { pattern: /\bh100\b/, gbPerSecond: 3350 },
  { pattern: /\ba100\b.*\b40\s*gb\b/, gbPerSecond: 1555 },
  { pattern: /\ba100\b/, gbPerSecond: 2039 },
  { pattern: /\bl40s?\b/, gbPerSecond: 864 },
  { pattern: /\bl4\b/, gbPerSecond: 300 },
  { pattern: /\ba10\b/, gbPerSecond: 600 },
  { pattern: /\bt4\b/, gbPerSecond: 320 },
  // NVIDIA GeForce
  { pattern: /rtx 5090\b/, gbPerSecond: 1792 },
  { pattern: /rtx 5080\b/, gbPerSecond: 960 },
  { pattern: /rtx 5070 ti\b/, gbPerSecond: 896 },
  { pattern: /rtx 5070\b/, gbPerSecond: 672 },
  { pattern: /rtx 5060 ti\b/, gbPerSecond: 448 },
  { pattern: /rtx 4090\b/, gbPerSecond: 1008 },
  { pattern: /rtx 4080 super\b/, gbPerSecond: 736 },
  { pattern: /rtx 4080\b/, gbPerSecond: 717 },
  { pattern: /rtx 4070 ti super\b/, gbPerSecond: 672 },
  { pattern: /rtx 4070\b/, gbPerSecond: 504 },
  { pattern: /rtx 4060 ti\b/, gbPerSecond: 288 },
  { pattern: /rtx 4060\b/, gbPerSecond: 272 },
  { pattern: /rtx 3090 ti\b/, gbPerSecond: 1008 },
  { pattern: /rtx 3090\b/, gbPerSecond: 936 },
  { pattern: /rtx 3080 ti\b/, gbPerSecond: 912 },
  { pattern: /rtx 3080\b/, gbPerSecond: 760 },
  { pattern: /rtx 3070 ti\b/, gbPerSecond: 608 },
  { pattern: /rtx 3070\b/, gbPerSecond: 448 },
  { pattern: /rtx 3060 ti\b/, gbPerSecond: 448 },
  { pattern: /rtx 3060\b/, gbPerSecond: 240, maxVramGiB: 8 },
  { pattern: /rtx 3060\b/, gbPerSecond: 360 },
  // AMD
  { pattern: /\bmi300x\b/, gbPerSecond: 5300 },
  { pattern: /rx 7900 xtx\b/, gbPerSecond: 960 },
  { pattern: /rx 7900 xt\b/, gbPerSecond: 800 },
  { pattern: /rx 9070 xt\b/, gbPerSecond: 640 },
  // Apple silicon (the GPU and the CPU share this bandwidth)
  { pattern: /apple m1 ultra\b/, gbPerSecond: 800 },
  { pattern: /apple m1 max\b/, gbPerSecond: 400 },
  { pattern: /apple m1 pro\b/, gbPerSecond: 200 },
  { pattern: /apple m1\b/, gbPerSecond: 68 },
  { pattern: /apple m2 ultra\b/, gbPerSecond: 800 },
  { pattern: /apple m2 max\b/, gbPerSecond: 400 },
  { pattern: /apple m2 pro\b/, gbPerSecond: 200 },
  { pattern: /apple m2\b/, gbPerSecond: 100 },
  { pattern: /apple m3 ultra\b/, gbPerSecond: 819 },
  { pattern: /apple m3 max\b/, gbPerSecond: 400 },
  { pattern: /apple m3 pro\b/, gbPerSecond: 150 },
  { pattern: /apple m3\b/, gbPerSecond: 100 },
  { pattern: /apple m4 max\b/, gbPerSecond: 546 },
  { pattern: /apple m4 pro\b/, gbPerSecond: 273 },
  { pattern: /apple m4\b/, gbPerSecond: 120 },
];

/** The published bandwidth of a GPU model in bytes per second, or undefined when it is not in the table. */
export function knownGpuBandwidth(model: string, vramTotalBytes: number): number | undefined {
  const name = model.toLowerCase();
  const vramGiB = vramTotalBytes / 1024 ** 3;
  const entry = TABLE.find((e) => e.pattern.test(name) && (e.maxVramGiB === undefined || (vramGiB > 0 && vramGiB <= e.maxVramGiB + 0.5)));
  return entry === undefined ? undefined : entry.gbPerSecond * 1e9;
}
