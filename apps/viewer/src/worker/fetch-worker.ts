// A helper of the gen2 job (issue 16): reads a served file's streamed body on its own thread, into a
// few fixed blocks handed over (transferred, not copied) to the decoding worker, which hands each back
// once decoded — so the transfer goes on while the decoding worker is busy. See jobs/fetched.ts.
import { type FetchScope, serveFetches } from "./jobs/fetched.js";

serveFetches(self as unknown as FetchScope);
