import type { DocumentPair, DocumentStream } from "./documents.js";

/** Iterate a sync or async document stream with one `for await`. */
export async function* iteratePairs(stream: DocumentStream): AsyncGenerator<DocumentPair> {
  if (Symbol.asyncIterator in stream) yield* stream as AsyncIterable<DocumentPair>;
  else yield* stream as Iterable<DocumentPair>;
}

/** Pull only the first pair of a stream and close it (generators run their `finally`). */
export async function firstPair(stream: DocumentStream): Promise<DocumentPair | undefined> {
  if (Symbol.asyncIterator in stream) {
    const it = (stream as AsyncIterable<DocumentPair>)[Symbol.asyncIterator]();
    const r = await it.next();
    await it.return?.();
    return r.done ? undefined : r.value;
  }
  const it = (stream as Iterable<DocumentPair>)[Symbol.iterator]();
  const r = it.next();
  it.return?.();
  return r.done ? undefined : r.value;
}
