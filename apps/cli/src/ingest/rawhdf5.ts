import { stat } from "node:fs/promises";
import { resolve } from "node:path";
import { type DocumentPair, NdArray, composeRun } from "@daqkit/docmodel";
import { filesUid } from "@daqkit/docmodel/node";
import { fromRawfile, parseMessage } from "@daqkit/rawhdf5/node";
import { CliUsageError } from "../errors.js";
import type { CliIngestor, IngestCliOptions } from "./types.js";

/*
 * LArPix raw HDF5 file → one run: every message is an Event of stream `primary` with data keys `msg` (the raw
 * bytes, `|u1`), `io_group` and `msg_length`. Messages vary in length: `msg` is zero-padded to the file's longest
 * message (DataKey shape [maxLength], found by a first pass over the messages) and `msg_length` gives the real
 * length — padding, not a ragged shape [null], because databroker 1.2's read() stacks a stream's rows and refuses
 * rows of different lengths ("Stacked arrays must have the same shape"). Event `time` is the
 * PACMAN header timestamp of the message (unix seconds) when it parses, else the file's `created` time.
 * RunStart `time` = `/meta` created, RunStop `time` = `/meta` modified.
 */

function messageTime(msg: Uint8Array, ioGroup: number, fallback: number): number {
  try {
    const rows = parseMessage(msg, ioGroup, { lenient: true });
    const t = rows.find((r) => r.packet_type === 4)?.timestamp;
    return typeof t === "number" && t > 0 ? t : fallback;
  } catch {
    return fallback;
  }
}

async function* ingestRawhdf5(path: string, { stream, metadata, options }: IngestCliOptions): AsyncGenerator<DocumentPair> {
  if (!(await stat(path).catch(() => undefined))?.isFile()) throw new CliUsageError(`rawhdf5: ${path} is not a file`);
  const pageSize = options.page === undefined ? 10_000 : Number(options.page);
  if (!Number.isInteger(pageSize) || pageSize < 1) throw new CliUsageError("rawhdf5: --option page must be a positive integer");
  const headers = await fromRawfile(path, { msgHeadersOnly: true });
  const uid = filesUid([path]);
  const run = composeRun({
    uid,
    time: headers.created,
    metadata: {
      plan_name: "larpix_rawfile",
      detectors: ["larpix"],
      source: resolve(path),
      rawfile_version: headers.version,
      ...(headers.ioVersion ? { io_version: headers.ioVersion } : {}),
      num_messages: headers.length,
      ...(metadata ?? {}),
    },
  });
  yield ["start", run.startDoc];
  let width = 0;
  for (let start = 0; start < headers.length; start += pageSize) {
    const part = await fromRawfile(path, { start, end: Math.min(headers.length, start + pageSize) });
    for (const m of part.msgs ?? []) width = Math.max(width, m.length);
  }
  const d = run.composeDescriptor({
    name: stream ?? "primary",
    time: headers.created,
    data_keys: {
      msg: {
        dtype: "array",
        shape: [width],
        source: "rawhdf5:/msgs (zero-padded to the longest message; msg_length is the real length)",
        dtype_numpy: "|u1",
      },
      io_group: { dtype: "integer", shape: [], source: "rawhdf5:/msg_headers io_groups", dtype_numpy: "|u1" },
      msg_length: { dtype: "integer", shape: [], source: "rawhdf5:len(/msgs[i])", units: "bytes" },
    },
  });
  yield ["descriptor", d.descriptorDoc];
  let last = headers.created;
  for (let start = 0; start < headers.length; start += pageSize) {
    const end = Math.min(headers.length, start + pageSize);
    const part = await fromRawfile(path, { start, end });
    const messages = part.msgs ?? [];
    const n = messages.length;
    const msgs = new Uint8Array(n * width);
    const lengths: number[] = [];
    const time = new Float64Array(n);
    const io = part.msgHeaders.io_groups;
    for (let i = 0; i < n; i++) {
      const m = messages[i] as Uint8Array;
      if (m.length > width)
        throw new CliUsageError(`rawhdf5: ${path} changed while it was read (message ${start + i} is longer than before)`);
      msgs.set(m, i * width);
      lengths.push(m.length);
      time[i] = messageTime(m, io[i] as number, headers.created);
    }
    last = Math.max(last, ...time);
    const seq = Array.from({ length: n }, (_, i) => start + i + 1);
    yield [
      "event_page",
      d.composeEventPage({
        data: { msg: new NdArray("|u1", [n, width], msgs), io_group: new NdArray("|u1", [n], Uint8Array.from(io)), msg_length: lengths },
        timestamps: { msg: time, io_group: time, msg_length: time },
        time,
        seq_num: seq,
        uid: seq.map((s) => `${uid}/${s}`),
      }),
    ];
  }
  yield ["stop", run.composeStop({ time: Math.max(last, headers.modified) })];
}

/** `daqkit docs ingest rawhdf5 FILE.h5`: messages and io_groups of a LArPix raw HDF5 file as one run. */
export const rawhdf5Ingestor: CliIngestor = {
  kind: "rawhdf5",
  description: "LArPix raw HDF5 file: one event per message (msg bytes, io_group, msg_length)",
  optionHelp: "page=N messages per event page (default 10000)",
  ingest: (path, options) => ingestRawhdf5(path, options),
};
