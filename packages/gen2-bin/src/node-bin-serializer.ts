/** `BinSerializer` of `@daqkit/gen2-bin/node`: the platform-neutral serializer plus writing the files into a directory. */
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { writeFileAtomic } from "@daqkit/io/node";
import type { Table } from "apache-arrow";
import { BinSerializer as Gen2Serializer, type Gen2PhotonColumnsInput, type Gen2SerializerOptions } from "./bin-serializer.js";
import { Gen2BinError } from "./errors.js";
import { LEGACY_TEMPORARY } from "./parquet-io.js";

/** Options of {@link BinSerializer}. */
export interface BinSerializerOptions extends Gen2SerializerOptions {
  /** Output directory (created if missing). Files are `{directory}/{unix second}.bin`. */
  directory: string;
}

/**
 * The gen2 serializer of the main entry (`serializeToBytes`), plus {@link BinSerializer.serialize},
 * which writes the files into `directory` with `@daqkit/io`'s atomic writer.
 */
export class BinSerializer extends Gen2Serializer {
  readonly directory: string;

  /** @throws Gen2BinError `GEN2_PIXEL_DUPLICATED`, `GEN2_BAD_ARGUMENT` (board, pixel, year or skew invalid) */
  constructor(options: BinSerializerOptions) {
    super(options);
    this.directory = options.directory;
  }

  /**
   * Serialize one photon table; returns the files written (in time order). Existing files with the
   * same names are replaced (temporary name + fsync + rename). The range and frame counters are
   * claimed only when every file is written.
   * @throws Gen2BinError `GEN2_BAD_SCHEMA`, `GEN2_NULL_VALUE`, `GEN2_EMPTY_TABLE`, `GEN2_VALUE_OUT_OF_RANGE`,
   *   `GEN2_UNMAPPED_PIXEL`, `GEN2_RANGE_OVERLAP` (within 1 s of an earlier call), `GEN2_IO`
   */
  async serialize(input: Table | Gen2PhotonColumnsInput): Promise<string[]> {
    const prepared = this.prepareFiles(input);
    const written: string[] = [];
    try {
      await mkdir(this.directory, { recursive: true });
      for (const file of prepared.files) {
        const path = join(this.directory, file.name);
        await writeFileAtomic(path, file.bytes, { legacyTemporary: LEGACY_TEMPORARY });
        written.push(path);
      }
    } catch (error) {
      if (Gen2BinError.isInstance(error)) throw error;
      throw new Gen2BinError("GEN2_IO", `gen2 serializer: writing into ${this.directory} failed: ${(error as Error).message}`, {
        path: this.directory,
        cause: error,
      });
    }
    prepared.commit();
    return written;
  }
}
