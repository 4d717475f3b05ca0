/**
 * `COPY … FROM STDIN` through postgres.js, with the server's verdict always delivered.
 *
 * postgres.js 3.4.9 loses an error that arrives after the data's end (CopyDone): the
 * writable never finishes, so a caller awaiting it hangs and its transaction is never
 * rolled back (porsager/postgres#1173, fix proposed in #1183). A unique violation among
 * the last rows, or an AFTER trigger's error, arrives exactly then. The query object's
 * own `reject` still receives every error, so it is wrapped here and raced against the
 * stream. Run it on a reserved connection (a `sql.begin` transaction): another query
 * pipelined onto a connection in COPY mode would break the COPY.
 */
import type { TransactionSql } from 'postgres';

export interface CopyIn {
  /** Send one chunk; resolves once the driver has written it, rejects once the COPY failed. */
  write(chunk: string): Promise<void>;
  /** End the data; resolves when the server completed the statement, rejects with its error. */
  end(): Promise<void>;
}

export async function copyIn(tx: TransactionSql, statement: string): Promise<CopyIn> {
  let fail: (error: unknown) => void = () => {};
  const failed = new Promise<never>((_, reject) => { fail = reject; });
  failed.catch(() => {}); // observed through the races below; a COPY that succeeds never settles it

  const query = tx.unsafe(statement);
  const settle = query as unknown as { reject(error: unknown): void };
  const reject = settle.reject;
  settle.reject = (error) => { fail(error); reject(error); };

  const stream = await query.writable();
  stream.on('error', fail);
  return {
    write: (chunk) => Promise.race([failed, new Promise<void>((resolve, rej) => {
      stream.write(chunk, (error) => (error ? rej(error) : resolve()));
    })]),
    end: () => Promise.race([failed, new Promise<void>((resolve, rej) => {
      // Node calls end's callback with the error when the stream failed instead of finishing.
      stream.end((error?: Error | null) => (error ? rej(error) : resolve()));
    })]),
  };
}
