/**
 * Sequential little-endian reads from a file through a bounded window: the header of a multi-gigabyte model
 * is parsed by reading about a megabyte at a time, never the tensor data.
 */
import type { FileHandle } from "node:fs/promises";

const WINDOW_BYTES = 1 << 20;

export class FileWindow {
  /** Absolute file position of the next read. */
  position = 0;
  private buffer: Buffer = Buffer.alloc(0);
  private bufferStart = 0;

  /**
   * @param onPastEnd called (and must throw) when a read would go past the end of the file, with the
   *   number of bytes the read needed in total.
   */
  constructor(
    private readonly handle: FileHandle,
    readonly fileSize: number,
    private readonly onPastEnd: (neededEnd: number) => never,
  ) {}

  /** Bytes left between the read position and the end of the file. */
  get remaining(): number {
    return this.fileSize - this.position;
  }

  /** Whether `count` bytes can be read without touching the disk. */
  has(count: number): boolean {
    return this.position + count <= this.bufferStart + this.buffer.length;
  }

  /** Fails through `onPastEnd` unless `count` more bytes exist after the read position. Reads nothing. */
  mustFit(count: number): void {
    if (this.position + count > this.fileSize) this.onPastEnd(this.position + count);
  }

  /** Makes the next `count` bytes readable synchronously. */
  async need(count: number): Promise<void> {
    if (this.has(count)) return;
    const end = this.position + count;
    if (end > this.fileSize) this.onPastEnd(end);
    const length = Math.min(Math.max(count, WINDOW_BYTES), this.fileSize - this.position);
    const buffer = Buffer.allocUnsafe(length);
    let filled = 0;
    while (filled < length) {
      const { bytesRead } = await this.handle.read(buffer, filled, length - filled, this.position + filled);
      // The file shrank while being read: report it the same way as a short file.
      if (bytesRead === 0) this.onPastEnd(end);
      filled += bytesRead;
    }
    this.buffer = buffer;
    this.bufferStart = this.position;
  }

  u8(): number {
    return this.buffer.readUInt8(this.at(1));
  }

  i8(): number {
    return this.buffer.readInt8(this.at(1));
  }

  u16(): number {
    return this.buffer.readUInt16LE(this.at(2));
  }

  i16(): number {
    return this.buffer.readInt16LE(this.at(2));
  }

  u32(): number {
    return this.buffer.readUInt32LE(this.at(4));
  }

  i32(): number {
    return this.buffer.readInt32LE(this.at(4));
  }

  f32(): number {
    return this.buffer.readFloatLE(this.at(4));
  }

  f64(): number {
    return this.buffer.readDoubleLE(this.at(8));
  }

  u64(): bigint {
    return this.buffer.readBigUInt64LE(this.at(8));
  }

  i64(): bigint {
    return this.buffer.readBigInt64LE(this.at(8));
  }

  /** UTF-8 text of the next `length` bytes (invalid sequences become U+FFFD). */
  utf8(length: number): string {
    const start = this.at(length);
    return this.buffer.toString("utf8", start, start + length);
  }

  /** Raw copy of the next `length` bytes. */
  raw(length: number): Buffer {
    const start = this.at(length);
    return Buffer.from(this.buffer.subarray(start, start + length));
  }

  // Returns the buffer index of the current position and advances it; callers must have called need().
  private at(count: number): number {
    const index = this.position - this.bufferStart;
    this.position += count;
    return index;
  }
}
