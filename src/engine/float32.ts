/**
 * Vectors as little-endian float32 bytes in base64: the form OpenAI's `encoding_format: "base64"` returns and
 * the runner IPC carries embeddings in. Pure, no I/O.
 */

/** Base64 of the vector's values as little-endian float32 (values round to the nearest float32). */
export function float32Base64(vector: readonly number[]): string {
  const bytes = Buffer.alloc(vector.length * 4);
  // Written one by one with an explicit byte order: a Float32Array would use the host's.
  vector.forEach((value, i) => bytes.writeFloatLE(value, i * 4));
  return bytes.toString("base64");
}

/** The values of {@link float32Base64}'s output; a length that is not a multiple of 4 bytes is cut short. */
export function fromFloat32Base64(text: string): number[] {
  const bytes = Buffer.from(text, "base64");
  const values: number[] = new Array<number>(Math.floor(bytes.length / 4));
  for (let i = 0; i < values.length; i++) values[i] = bytes.readFloatLE(i * 4);
  return values;
}
