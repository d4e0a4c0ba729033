"""A mirror of larpix-control's rawhdf5format reader/writer (rawhdf5format.py @ b5183845),
reduced to what the cross-check needs. Usage:

  larpix_reader.py read FILE            -> JSON: meta, len, msgs_hex, io_groups, slices, mask, headers-only
  larpix_reader.py append FILE HEXES... -> appends messages (io_group 3) the way to_rawfile does
  larpix_reader.py layout FILE          -> JSON: dtypes, chunks, maxshape, libver-relevant facts
"""
import json
import sys
import time

import h5py
import numpy as np

MSGS_DTYPE = h5py.vlen_dtype(np.dtype("u1"))
HEADERS_DTYPE = np.dtype([("io_groups", "u1")])


def _synchronize(attempts, *dsets):
    success = attempts == 0
    attempt = 1
    lengths = [0] * len(dsets)
    while (attempt <= attempts or attempts < 0) and not success:
        attempt += 1
        for i, dset in enumerate(dsets):
            dset.refresh()  # high-level refresh (upstream's low-level one is the §4.3 bug)
            lengths[i] = len(dset)
        if all(lengths[0] == n for n in lengths[1:]):
            success = True
    if not success:
        raise RuntimeError("Could not achieve a stable file state")


def from_rawfile(filename, start=None, end=None, version=None, io_version=None, msg_headers_only=False, mask=None, attempts=1):
    with h5py.File(filename, "r", swmr=True, libver="latest") as f:
        created = f["meta"].attrs["created"]
        modified = f["meta"].attrs["modified"]
        file_version = f["meta"].attrs["version"]
        assert version is None or file_version >= version
        file_io_version = f["meta"].attrs["io_version"] if "io_version" in f["meta"].attrs.keys() else None
        _synchronize(attempts, f["msgs"], f["msg_headers"])
        start = int(start) if start is not None else 0
        end = int(end) if end is not None else len(f["msgs"])
        sel = mask if mask is not None else slice(start, end)
        headers = {k: list(f["msg_headers"][sel][k].astype(int)) for k in f["msg_headers"].dtype.names}
        msgs = [m.tobytes() for m in f["msgs"][sel]] if not msg_headers_only else None
        return dict(created=created, modified=modified, version=file_version, io_version=file_io_version, msgs=msgs, msg_headers=headers)


def len_rawfile(filename, attempts=1):
    with h5py.File(filename, "r", swmr=True, libver="latest") as f:
        _synchronize(attempts, f["msgs"], f["msg_headers"])
        return len(f["msgs"])


def to_rawfile_append(filename, msgs, io_groups):
    with h5py.File(filename, "a", libver="latest") as f:
        f.swmr_mode = True
        f["meta"].attrs["modified"] = time.time()
        n = len(f["msgs"])
        f["msgs"].resize((n + len(msgs),))
        f["msg_headers"].resize((n + len(msgs),))
        arr = np.empty((len(msgs),), dtype=MSGS_DTYPE)
        for i, m in enumerate(msgs):
            arr[i] = np.frombuffer(m, dtype="u1")
        f["msgs"][n:] = arr
        hdr = np.zeros((len(msgs),), dtype=HEADERS_DTYPE)
        hdr["io_groups"] = io_groups
        f["msg_headers"][n:] = hdr
        f["msgs"].flush()
        f["msg_headers"].flush()


def to_rawfile(filename, msgs, io_groups):
    """larpix-control to_rawfile (b5183845), version 0.0 path: open, append, flush datasets, close."""
    now = time.time()
    with h5py.File(filename, "a", libver="latest") as f:
        if "meta" not in f.keys():
            f.create_group("meta")
            f["meta"].attrs["version"] = "0.0"
            f["meta"].attrs["created"] = now
            f["meta"].attrs["modified"] = now
            f["meta"].attrs["io_version"] = "0.0"
            f.create_dataset("msgs", shape=(0,), maxshape=(None,), compression="gzip", dtype=MSGS_DTYPE)
            f.create_dataset("msg_headers", shape=(0,), maxshape=(None,), compression="gzip", dtype=HEADERS_DTYPE)
            f.swmr_mode = True
        else:
            f.swmr_mode = True
            f["meta"].attrs["modified"] = now
    to_rawfile_append(filename, msgs, io_groups)


def live_message(i):
    return bytes(((i * 7 + j) & 0xFF) for j in range(24 + i % 81))


def main():
    cmd, path = sys.argv[1], sys.argv[2]
    if cmd == "read":
        rd = from_rawfile(path)
        n = len_rawfile(path)
        tail = from_rawfile(path, start=-2)
        mask = np.zeros(n, dtype=bool)
        mask[::2] = True
        masked = from_rawfile(path, mask=mask)
        headers_only = from_rawfile(path, msg_headers_only=True)
        print(json.dumps(dict(
            meta=dict(version=rd["version"], io_version=rd["io_version"], created=float(rd["created"]), modified=float(rd["modified"])),
            len=n,
            msgs_hex=[m.hex() for m in rd["msgs"]],
            io_groups=[int(x) for x in rd["msg_headers"]["io_groups"]],
            tail_hex=[m.hex() for m in tail["msgs"]],
            masked_hex=[m.hex() for m in masked["msgs"]],
            headers_only=dict(msgs=headers_only["msgs"], io_groups=[int(x) for x in headers_only["msg_headers"]["io_groups"]]),
        )))
    elif cmd == "append":
        msgs = [bytes.fromhex(h) for h in sys.argv[3:]]
        to_rawfile_append(path, msgs, [3] * len(msgs))
        print(json.dumps(dict(len=len_rawfile(path))))
    elif cmd == "live":
        batches, size, pause = int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
        for b in range(batches):
            idx = range(b * size, (b + 1) * size)
            to_rawfile(path, [live_message(i) for i in idx], [(i % 2) + 1 for i in idx])
            time.sleep(pause)
        print(json.dumps(dict(written=batches * size)))
    elif cmd == "layout":
        with h5py.File(path, "r") as f:
            print(json.dumps(dict(
                msgs_dtype_is_vlen_u1=h5py.check_vlen_dtype(f["msgs"].dtype) == np.dtype("u1"),
                headers_dtype=str(f["msg_headers"].dtype),
                maxshape=[list(f["msgs"].maxshape), list(f["msg_headers"].maxshape)],
                chunks=[list(f["msgs"].chunks), list(f["msg_headers"].chunks)],
                created_dtype=str(f["meta"].attrs["created"].dtype),
                libver=list(f.libver),
            )))
    else:
        raise SystemExit("unknown command " + cmd)


if __name__ == "__main__":
    main()
