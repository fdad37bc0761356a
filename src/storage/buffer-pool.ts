/**
 * Free buffers of one size, reused instead of allocated: large short-lived buffers make the
 * garbage collector work hard. Keeps at most `keep` idle buffers, so the memory it holds is bounded.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly keep: number,
    private readonly allocate: (size: number) => Buffer = Buffer.allocUnsafeSlow,
  ) {}

  take(): Buffer {
    return this.free.pop() ?? this.allocate(this.size);
  }

  /** Returns a buffer nobody else references any more. */
  give(buffer: Buffer): void {
    if (buffer.length === this.size && this.free.length < this.keep) this.free.push(buffer);
  }
}
