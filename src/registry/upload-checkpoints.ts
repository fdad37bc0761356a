// Checkpoints of an upload while a long body arrives: the session's row is brought up to bytes the
// writer made durable, with the hash over exactly those bytes, so a process killed midway (or a
// client that broke off) loses only what came since. The hash runs ahead of the disk (bodies are
// batched), so it is cloned at candidate offsets as it goes, and a checkpoint takes the last
// candidate the disk has reached.
import type { ResumableHash } from "../content/resumable-hash.js";
import type { UploadProgress } from "../metadata/store.js";

/** At most one checkpoint per this long after the first: each is a metadata write. */
const EVERY_MS = 1000;
/** Candidates kept: the writer's lag behind the hash is a few MiB (batching, direct-I/O buffers). */
const MAX_MARKS = 256;

export class Checkpoints {
  private readonly marks: { offset: number; hash: ResumableHash }[] = [];
  private lastAt: number | undefined;
  private recording: Promise<void> = Promise.resolve();
  /** the last checkpoint recorded */
  last: UploadProgress | undefined;

  constructor(
    /** the size the session had when the request began: nothing below it is new */
    private recorded: number,
    private readonly now: () => number,
    private readonly record: (progress: UploadProgress) => Promise<boolean>,
    private readonly failed: (err: unknown) => void,
  ) {}

  /** The hash has taken in the upload's first `offset` bytes. */
  mark(offset: number, hash: ResumableHash): void {
    if (this.marks.length === MAX_MARKS) this.marks.shift();
    this.marks.push({ offset, hash: hash.clone() });
  }

  /** The writer holds every byte before `size` durably, and `writerState` continues from there. */
  durable(size: number, writerState: string): void {
    let best: { offset: number; hash: ResumableHash } | undefined;
    while (this.marks.length > 0 && this.marks[0]!.offset <= size) best = this.marks.shift();
    if (!best || best.offset <= this.recorded) return;
    const at = this.now();
    if (this.lastAt !== undefined && at - this.lastAt < EVERY_MS) {
      // Not now: the candidate stays for a later report.
      this.marks.unshift(best);
      return;
    }
    this.lastAt = at;
    this.recorded = best.offset;
    const progress = { size: best.offset, hashState: best.hash.state(), writerState };
    // In order, and settled before the request gives its lease back with its own last word.
    this.recording = this.recording.then(() => this.record(progress)).then(
      (held) => {
        if (held) this.last = progress;
      },
      (err: unknown) => this.failed(err),
    );
  }

  settled(): Promise<void> {
    return this.recording;
  }
}
