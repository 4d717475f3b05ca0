import type { Readable } from 'node:stream';
import fs from 'node:fs/promises';
import path from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Object bytes on disk, one file per object id under `<root>/objects/` (ids are uuids, so
 * no object or bucket name ever becomes a path). Writes go to a temp file and are renamed
 * into place, so a reader never sees half an object.
 */
export class FileStore {
  private readonly dir: string;

  constructor(root: string) { this.dir = path.join(root, 'objects'); }

  async init(): Promise<void> { await fs.mkdir(this.dir, { recursive: true }); }

  private file(id: string): string {
    if (!/^[0-9a-f-]{36}$/i.test(id)) throw new Error(`not an object id: ${id}`);
    return path.join(this.dir, id);
  }

  async write(id: string, bytes: Buffer): Promise<void> {
    const tmp = path.join(this.dir, `.tmp-${randomUUID()}`);
    await fs.writeFile(tmp, bytes);
    await fs.rename(tmp, this.file(id));
  }

  /** A stream of the object's bytes, opened before any header is sent; undefined when the file is gone. */
  async open(id: string, range: { start: number; end: number }): Promise<Readable | undefined> {
    let fh: fs.FileHandle;
    try {
      fh = await fs.open(this.file(id), 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw e;
    }
    return fh.createReadStream(range);
  }

  async remove(ids: string[]): Promise<void> {
    await Promise.all(ids.map((id) => fs.rm(this.file(id), { force: true })));
  }
}
