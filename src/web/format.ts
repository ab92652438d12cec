/** Numbers as people read them. */

export function bytes(value: number | null | undefined): string {
  if (value === null || value === undefined) return "unknown";
  const units = ["B", "KB", "MB", "GB", "TB"];
  let amount = value;
  let unit = 0;
  while (amount >= 1000 && unit < units.length - 1) {
    amount /= 1000;
    unit++;
  }
  return `${amount >= 100 || unit === 0 ? Math.round(amount) : amount.toFixed(1)} ${units[unit]}`;
}

export function rate(tokensPerSecond: number | null | undefined): string {
  return tokensPerSecond === null || tokensPerSecond === undefined ? "not measured yet" : `${tokensPerSecond.toFixed(tokensPerSecond < 10 ? 1 : 0)} tokens/s`;
}

export function ago(iso: string | null): string {
  if (iso === null) return "never";
  const seconds = Math.max(0, (Date.now() - Date.parse(iso)) / 1000);
  if (seconds < 60) return "just now";
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86_400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86_400)} days ago`;
}

export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds)) return "";
  if (seconds < 60) return `${Math.ceil(seconds)} s`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min`;
  return `${(seconds / 3600).toFixed(1)} h`;
}

/** US dollars: cents, or the first figures of an amount under a cent (0.0042 USD), so small spending shows. */
export function dollars(amount: number): string {
  if (amount === 0) return "0 USD";
  const digits = amount >= 0.01 ? 2 : Math.min(6, 1 - Math.floor(Math.log10(amount)));
  return `${amount.toFixed(digits)} USD`;
}
