;; blosclz decompression (c-blosc 1.21 `blosclz_decompress`) as a WebAssembly module.
;;
;; The same algorithm as the TypeScript decoder in `src/blosc.ts`. Build with `node wasm/build.mjs`
;; (wabt's wat2wasm, pinned as a devDependency), which writes `src/blosclz-wasm-bytes.ts`; the test
;; `test/blosclz-wasm-build.test.ts` checks that the checked-in bytes equal the build output.
;;
;; Export `decode(ip, ipLimit, op, opLimit) -> written | -1` works on the module's own `memory`
;; (one page at first, grown by the caller): it decodes the stream in [ip, ipLimit) into
;; [op, opLimit) and returns the number of bytes written, or -1 for a corrupt stream (a literal or
;; match that runs past either end, or a match that refers before the start of the output).
;;
;; Stream format: a sequence of tokens; the first control byte is masked to its low 5 bits.
;;   ctrl < 32       literal: the next ctrl + 1 bytes are copied.
;;   ctrl >= 32      match: len = (ctrl >> 5) - 1, plus extra length bytes while len == 6 (each
;;                   adds its value, 255 continues); then a distance byte `code`;
;;                   ref = op - ((ctrl & 31) << 8) - code - 1, and len + 3 bytes are copied from ref
;;                   (overlapping copies repeat the pattern). code == 255 with (ctrl & 31) == 31 is a
;;                   far distance: two more bytes give ofs, ref = op - ofs - 8191 - 1.
;;
;; Two loops share one control flow: a fast path while far from both ends (ip < ipLimit - 40 and
;; op < opLimit - 300: no bounds checks needed, literals copied as 32 bytes and short matches as 8
;; bytes with wild copies that the following tokens overwrite), and the checked path otherwise.
;; Unaligned 64-bit loads/stores say `align=1`, as the original hand assembly did.
(module
  (func $decode (export "decode")
    (param $ip i32) (param $ipLimit i32) (param $op i32) (param $opLimit i32) (result i32)
    (local $opStart i32) (local $ctrl i32) (local $len i32) (local $ofs i32) (local $code i32)
    (local $ref i32) (local $end i32) (local $ipSafe i32) (local $opSafe i32)

    local.get $op
    local.set $opStart
    local.get $ipLimit
    i32.const 40
    i32.sub
    local.set $ipSafe
    local.get $opLimit
    i32.const 300
    i32.sub
    local.set $opSafe
    ;; empty input: nothing written
    local.get $ip
    local.get $ipLimit
    i32.eq
    if
      i32.const 0
      return
    end
    ;; ctrl = mem[ip++] & 31
    local.get $ip
    i32.load8_u
    i32.const 31
    i32.and
    local.set $ctrl
    local.get $ip
    i32.const 1
    i32.add
    local.set $ip

    block $done
      loop $token
        ;; ---- fast path: far from both ends, no bounds checks, wild copies ----
        block $slow
          local.get $ip
          local.get $ipSafe
          i32.lt_s
          local.get $op
          local.get $opSafe
          i32.lt_s
          i32.and
          i32.eqz
          br_if $slow
          local.get $ctrl
          i32.const 32
          i32.ge_s
          if
            ;; match; a long one (len 7 = extra length bytes) takes the checked path
            local.get $ctrl
            i32.const 5
            i32.shr_u
            local.tee $len
            i32.const 7
            i32.eq
            br_if $slow
            local.get $ctrl
            i32.const 31
            i32.and
            i32.const 8
            i32.shl
            local.set $ofs
            local.get $ip
            i32.load8_u
            local.set $code
            local.get $ip
            i32.const 1
            i32.add
            local.set $ip
            ;; ref = op - ofs - code
            local.get $op
            local.get $ofs
            i32.sub
            local.get $code
            i32.sub
            local.set $ref
            local.get $code
            i32.const 255
            i32.eq
            if
              local.get $ofs
              i32.const 7936
              i32.eq
              if
                ;; far distance: ofs = mem[ip] << 8 | mem[ip + 1]; ref = op - ofs - 8191
                local.get $ip
                i32.load8_u
                i32.const 8
                i32.shl
                local.get $ip
                i32.const 1
                i32.add
                i32.load8_u
                i32.add
                local.set $ofs
                local.get $ip
                i32.const 2
                i32.add
                local.set $ip
                local.get $op
                local.get $ofs
                i32.sub
                i32.const 8191
                i32.sub
                local.set $ref
              end
            end
            ;; if (--ref < opStart) return -1
            local.get $ref
            i32.const 1
            i32.sub
            local.tee $ref
            local.get $opStart
            i32.lt_s
            if
              i32.const -1
              return
            end
            ;; next control byte
            local.get $ip
            i32.load8_u
            local.set $ctrl
            local.get $ip
            i32.const 1
            i32.add
            local.set $ip
            ;; len = (ctrl >> 5) + 2 = match length (3..8)
            local.get $len
            i32.const 2
            i32.add
            local.set $len
            local.get $op
            local.get $ref
            i32.sub
            i32.const 8
            i32.ge_s
            if
              ;; no overlap within 8 bytes: one wild 8-byte copy
              local.get $op
              local.get $ref
              i64.load align=1
              i64.store align=1
              local.get $op
              local.get $len
              i32.add
              local.set $op
            else
              ;; overlapping: byte by byte
              local.get $op
              local.get $len
              i32.add
              local.set $end
              loop $bytes
                local.get $op
                local.get $ref
                i32.load8_u
                i32.store8
                local.get $op
                i32.const 1
                i32.add
                local.set $op
                local.get $ref
                i32.const 1
                i32.add
                local.set $ref
                local.get $op
                local.get $end
                i32.lt_s
                br_if $bytes
              end
            end
            br $token
          else
            ;; literal of ctrl + 1 bytes: one wild 32-byte copy, and the next control byte
            local.get $ctrl
            i32.const 1
            i32.add
            local.set $len
            local.get $op
            local.get $ip
            i64.load align=1
            i64.store align=1
            local.get $op
            local.get $ip
            i64.load offset=8 align=1
            i64.store offset=8 align=1
            local.get $op
            local.get $ip
            i64.load offset=16 align=1
            i64.store offset=16 align=1
            local.get $op
            local.get $ip
            i64.load offset=24 align=1
            i64.store offset=24 align=1
            local.get $op
            local.get $len
            i32.add
            local.set $op
            local.get $ip
            local.get $len
            i32.add
            local.set $ip
            local.get $ip
            i32.load8_u
            local.set $ctrl
            local.get $ip
            i32.const 1
            i32.add
            local.set $ip
            br $token
          end
        end $slow

        ;; ---- checked path ----
        local.get $ctrl
        i32.const 32
        i32.ge_s
        if
          ;; ---- match ----
          local.get $ctrl
          i32.const 5
          i32.shr_u
          i32.const 1
          i32.sub
          local.set $len
          local.get $ctrl
          i32.const 31
          i32.and
          i32.const 8
          i32.shl
          local.set $ofs
          local.get $len
          i32.const 6
          i32.eq
          if
            ;; extra length bytes: add each, continue while 255
            loop $lengthBytes
              local.get $ip
              i32.const 1
              i32.add
              local.get $ipLimit
              i32.ge_s
              if
                i32.const -1
                return
              end
              local.get $ip
              i32.load8_u
              local.set $code
              local.get $ip
              i32.const 1
              i32.add
              local.set $ip
              local.get $len
              local.get $code
              i32.add
              local.set $len
              local.get $code
              i32.const 255
              i32.eq
              br_if $lengthBytes
            end
          else
            local.get $ip
            i32.const 1
            i32.add
            local.get $ipLimit
            i32.ge_s
            if
              i32.const -1
              return
            end
          end
          ;; code = mem[ip++]; len += 3
          local.get $ip
          i32.load8_u
          local.set $code
          local.get $ip
          i32.const 1
          i32.add
          local.set $ip
          local.get $len
          i32.const 3
          i32.add
          local.set $len
          ;; ref = op - ofs - code
          local.get $op
          local.get $ofs
          i32.sub
          local.get $code
          i32.sub
          local.set $ref
          ;; far distance
          local.get $code
          i32.const 255
          i32.eq
          if
            local.get $ofs
            i32.const 7936
            i32.eq
            if
              local.get $ip
              i32.const 1
              i32.add
              local.get $ipLimit
              i32.ge_s
              if
                i32.const -1
                return
              end
              local.get $ip
              i32.load8_u
              i32.const 8
              i32.shl
              local.get $ip
              i32.const 1
              i32.add
              i32.load8_u
              i32.add
              local.set $ofs
              local.get $ip
              i32.const 2
              i32.add
              local.set $ip
              local.get $op
              local.get $ofs
              i32.sub
              i32.const 8191
              i32.sub
              local.set $ref
            end
          end
          ;; if (op + len > opLimit) return -1
          local.get $op
          local.get $len
          i32.add
          local.get $opLimit
          i32.gt_s
          if
            i32.const -1
            return
          end
          ;; if (--ref < opStart) return -1
          local.get $ref
          i32.const 1
          i32.sub
          local.tee $ref
          local.get $opStart
          i32.lt_s
          if
            i32.const -1
            return
          end
          ;; copy len bytes from ref
          local.get $op
          local.get $ref
          i32.sub
          i32.const 1
          i32.eq
          if
            ;; distance 1: a run of one byte
            local.get $op
            local.get $ref
            i32.load8_u
            local.get $len
            memory.fill
            local.get $op
            local.get $len
            i32.add
            local.set $op
          else
            ;; long and not overlapping: memory.copy; otherwise byte by byte
            local.get $len
            i32.const 16
            i32.ge_s
            local.get $op
            local.get $ref
            i32.sub
            local.get $len
            i32.ge_s
            i32.and
            if
              local.get $op
              local.get $ref
              local.get $len
              memory.copy
              local.get $op
              local.get $len
              i32.add
              local.set $op
            else
              local.get $op
              local.get $len
              i32.add
              local.set $end
              loop $bytes
                local.get $op
                local.get $ref
                i32.load8_u
                i32.store8
                local.get $op
                i32.const 1
                i32.add
                local.set $op
                local.get $ref
                i32.const 1
                i32.add
                local.set $ref
                local.get $op
                local.get $end
                i32.lt_s
                br_if $bytes
              end
            end
          end
          ;; end of input ends the stream; else ctrl = mem[ip++] and the next token
          local.get $ip
          local.get $ipLimit
          i32.ge_s
          br_if $done
          local.get $ip
          i32.load8_u
          local.set $ctrl
          local.get $ip
          i32.const 1
          i32.add
          local.set $ip
          br $token
        else
          ;; ---- literal of ctrl + 1 bytes ----
          local.get $ctrl
          i32.const 1
          i32.add
          local.set $ctrl
          ;; if (op + n > opLimit || ip + n > ipLimit) return -1
          local.get $op
          local.get $ctrl
          i32.add
          local.get $opLimit
          i32.gt_s
          if
            i32.const -1
            return
          end
          local.get $ip
          local.get $ctrl
          i32.add
          local.get $ipLimit
          i32.gt_s
          if
            i32.const -1
            return
          end
          local.get $ctrl
          i32.const 16
          i32.ge_s
          if
            local.get $op
            local.get $ip
            local.get $ctrl
            memory.copy
            local.get $op
            local.get $ctrl
            i32.add
            local.set $op
            local.get $ip
            local.get $ctrl
            i32.add
            local.set $ip
          else
            local.get $ip
            local.get $ctrl
            i32.add
            local.set $end
            loop $bytes
              local.get $op
              local.get $ip
              i32.load8_u
              i32.store8
              local.get $op
              i32.const 1
              i32.add
              local.set $op
              local.get $ip
              i32.const 1
              i32.add
              local.set $ip
              local.get $ip
              local.get $end
              i32.lt_s
              br_if $bytes
            end
          end
          local.get $ip
          local.get $ipLimit
          i32.ge_s
          br_if $done
          local.get $ip
          i32.load8_u
          local.set $ctrl
          local.get $ip
          i32.const 1
          i32.add
          local.set $ip
          br $token
        end
      end $token
    end $done
    ;; bytes written
    local.get $op
    local.get $opStart
    i32.sub)
  (memory (export "memory") 1))
