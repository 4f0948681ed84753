// The batch's output location (a folder or an OSS prefix) as a small file store for summaries and markers.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BatchOutput } from '../workflows/batchContract';
import { ossUri } from '../workflows/locations';
import type { ObjectStorage } from './provider/oss';

export interface OutputStore {
  location(name: string): string;
  write(name: string, text: string): Promise<void>;
  read(name: string): Promise<string | undefined>;
  remove(name: string): Promise<void>;
}

export function outputStore(output: BatchOutput, storage: ObjectStorage): OutputStore {
  if (output.kind === 'local') {
    const file = (name: string) => path.join(output.dir, name);
    return {
      location: file,
      async write(name, text) {
        await fs.promises.mkdir(path.dirname(file(name)), { recursive: true });
        await fs.promises.writeFile(`${file(name)}.tmp`, text);
        await fs.promises.rename(`${file(name)}.tmp`, file(name));
      },
      read: (name) => fs.promises.readFile(file(name), 'utf8').catch(() => undefined),
      remove: (name) => fs.promises.rm(file(name), { force: true }),
    };
  }
  const key = (name: string) => `${output.prefix}${name}`;
  return {
    location: (name) => ossUri(output.bucket, key(name)),
    async write(name, text) {
      const tmp = path.join(await fs.promises.mkdtemp(path.join(os.tmpdir(), 'vsr-batch-')), 'f');
      try {
        await fs.promises.writeFile(tmp, text);
        await storage.put(output.bucket, key(name), tmp);
      } finally {
        await fs.promises.rm(path.dirname(tmp), { recursive: true, force: true });
      }
    },
    async read(name) {
      if (!(await storage.head(output.bucket, key(name)))) return undefined;
      const chunks: Buffer[] = [];
      for await (const c of await storage.getStream(output.bucket, key(name))) chunks.push(c as Buffer);
      return Buffer.concat(chunks).toString('utf8');
    },
    remove: (name) => storage.delete(output.bucket, key(name)),
  };
}
