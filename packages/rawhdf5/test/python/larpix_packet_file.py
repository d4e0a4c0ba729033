"""What larpix-control 3.7.0's hdf5format (version 2.4) needs of a packet file, written for the
cross-check from its documented format (not its code). Usage:

  larpix_packet_file.py layout FILE  -> JSON: datasets, dtypes (name, numpy str, offset, shape), maxshape, attrs
  larpix_packet_file.py read FILE    -> JSON: what from_file returns (version/created/modified, packets as dicts)
  larpix_packet_file.py append FILE  -> appends one data packet and one message packet the way to_file(mode='a') does

`read` follows from_file's access pattern: `_header` attrs, the version check, `f['messages']`
(a KeyError when missing), then every `packets` row parsed by packet_type, looking up
`messages[row['counter']]` for message packets (type 5).
"""
import json
import sys

import h5py
import numpy as np

# hdf5format 2.4 datasets (field, numpy type) in file order.
PACKETS_2_4 = [
    ("io_group", "u1"), ("io_channel", "u1"), ("chip_id", "u1"), ("packet_type", "u1"),
    ("downstream_marker", "u1"), ("parity", "u1"), ("valid_parity", "u1"), ("channel_id", "u1"),
    ("timestamp", "u8"), ("dataword", "u1"), ("trigger_type", "u1"), ("local_fifo", "u1"),
    ("shared_fifo", "u1"), ("register_address", "u1"), ("register_data", "u1"), ("direction", "u1"),
    ("local_fifo_events", "u1"), ("shared_fifo_events", "u2"), ("counter", "u4"),
    ("fifo_diagnostics_enabled", "u1"), ("first_packet", "u1"), ("receipt_timestamp", "u4"),
]
MESSAGES = [("message", "S64"), ("timestamp", "u8"), ("index", "u4")]
CONFIGS_2_4 = [("timestamp", "u8"), ("io_group", "u1"), ("io_channel", "u1"), ("chip_id", "u1"), ("registers", "(239,)u1")]


def describe(dtype):
    return [[n, dtype.fields[n][0].base.str, dtype.fields[n][1], list(dtype.fields[n][0].shape)] for n in dtype.names]


def attr(v):
    return v.decode() if isinstance(v, bytes) else (v if isinstance(v, str) else float(v))


def layout(path):
    with h5py.File(path, "r") as f:
        out = {"keys": sorted(f.keys()), "header": {k: attr(v) for k, v in f["_header"].attrs.items()}}
        for name in ("packets", "messages", "configs"):
            d = f[name]
            out[name] = {
                "dtype": describe(d.dtype),
                "itemsize": d.dtype.itemsize,
                "same_as_larpix": d.dtype == np.dtype({"packets": PACKETS_2_4, "messages": MESSAGES, "configs": CONFIGS_2_4}[name]),
                "shape": list(d.shape),
                "maxshape": list(d.maxshape),
                "attrs": {k: attr(v) for k, v in d.attrs.items()},
            }
        t = f["messages"].id.get_type().get_member_type(0)
        out["messages"]["message_type"] = [t.get_cset() == h5py.h5t.CSET_ASCII and "ascii", t.get_strpad() == h5py.h5t.STR_NULLPAD and "nullpad"]
        r = f["configs"].id.get_type().get_member_type(4)
        out["configs"]["registers_class"] = r.get_class() == h5py.h5t.ARRAY and "array"
        return out


def read(path):
    with h5py.File(path, "r") as f:
        version = f["_header"].attrs["version"]
        if version != "2.4":
            raise RuntimeError("version %s" % version)
        message_dset = f["messages"]  # larpix: KeyError when missing
        packets = []
        for row in f["packets"]:
            t = int(row["packet_type"])
            if t == 4:
                packets.append({"kind": "timestamp", "timestamp": int(row["timestamp"])})
            elif t == 5:
                m = message_dset[int(row["counter"])]
                packets.append({"kind": "message", "message": m["message"].decode(), "timestamp": int(row["timestamp"])})
            elif t < 4:
                p = {"kind": "v2"}
                for name in ("io_group", "io_channel", "chip_id", "packet_type", "downstream_marker", "parity", "valid_parity", "direction", "first_packet", "receipt_timestamp"):
                    p[name] = int(row[name])
                if t == 0:
                    for name in ("channel_id", "timestamp", "dataword", "trigger_type", "local_fifo", "shared_fifo"):
                        p[name] = int(row[name])
                elif t in (2, 3):
                    p["register_address"] = int(row["register_address"])
                    p["register_data"] = int(row["register_data"])
                packets.append(p)
            elif t in (6, 7):
                packets.append({"kind": "sync" if t == 6 else "trigger", "io_group": int(row["io_group"]), "trigger_type": int(row["trigger_type"]), "timestamp": int(row["timestamp"])})
        return {
            "version": attr(f["_header"].attrs["version"]),
            "created": float(f["_header"].attrs["created"]),
            "modified": float(f["_header"].attrs["modified"]),
            "configs": len(f["configs"]),
            "config_registers": [int(x) for x in f["configs"][-1]["registers"][:3]] if len(f["configs"]) else None,
            "packets": packets,
        }


def append(path):
    with h5py.File(path, "a") as f:
        f["_header"].attrs["modified"] = 1.0
        packets, messages = f["packets"], f["messages"]
        n, m = packets.shape[0], messages.shape[0]
        rows = np.zeros((2,), dtype=PACKETS_2_4)
        rows[0]["io_group"], rows[0]["packet_type"], rows[0]["timestamp"], rows[0]["dataword"] = 7, 0, 12345, 99
        rows[1]["packet_type"], rows[1]["timestamp"], rows[1]["counter"] = 5, 777, m
        packets.resize(n + 2, axis=0)
        packets[n:] = rows
        messages.resize(m + 1, axis=0)
        messages[m:] = np.array([("run start", 777, m)], dtype=MESSAGES)
        configs = f["configs"]  # to_file with a chip list: one row per chip, asic_version attribute
        row = np.zeros((1,), dtype=CONFIGS_2_4)
        row["timestamp"], row["io_group"], row["chip_id"] = 1, 2, 11
        row["registers"][0, :] = np.arange(239) % 256
        configs.resize(configs.shape[0] + 1, axis=0)
        configs[-1:] = row
        configs.attrs["asic_version"] = "2"


if __name__ == "__main__":
    cmd, path = sys.argv[1], sys.argv[2]
    result = {"layout": layout, "read": read, "append": append}[cmd](path)
    print(json.dumps(result))
