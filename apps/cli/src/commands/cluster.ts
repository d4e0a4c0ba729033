/**
 * `daqkit cluster slurm|k8s [options] -- COMMAND…`: job scripts that run a sharded daqkit command as a
 * Slurm array (plus a dependent merge job) or a Kubernetes Indexed Job (plus a merge Job).
 *
 * The scripts are plain text for the user to read, edit and submit; nothing is submitted unless
 * `--submit` is given (Slurm only: runs `sbatch` and prints the job ids). Each task passes its shard
 * explicitly (`--shard ${SLURM_ARRAY_TASK_ID}/N`), so re-submitting one task of the array
 * (`sbatch --array=2 SCRIPT`) still takes part 2 of N.
 */
import { spawn } from "node:child_process";
import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Command } from "commander";
import type { CliContext } from "../context.js";
import { CliUsageError } from "../errors.js";

/** Quote one word for a POSIX shell (single quotes unless it is plainly safe). */
export function shellQuote(word: string): string {
  if (word !== "" && /^[A-Za-z0-9_./:=,+@%^-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}

/** Options common to both engines. */
export interface ClusterPlan {
  /** The daqkit command line, without `daqkit` and without `--shard`. */
  readonly command: readonly string[];
  readonly shards: number;
  /** How to run daqkit inside the job (raw shell text), default `daqkit`. */
  readonly daqkit: string;
  readonly name: string;
  /** The merge command line (daqkit arguments), or null when the result needs no merge. */
  readonly merge: readonly string[] | null;
}

function option(args: readonly string[], name: string): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    if (a === name) return args[i + 1];
    if (a.startsWith(`${name}=`)) return a.slice(name.length + 1);
  }
  return undefined;
}

/**
 * The merge step of a sharded command, from `--merge-out FILE`: `load … --out DIR/` → `merge DIR --out
 * FILE`; `filedb scan … --out DIR` → `filedb merge DIR --out FILE`. Other commands (gen2 convert-all
 * fills one cache directory) need none.
 */
export function mergeCommand(command: readonly string[], mergeOut: string | undefined): string[] | null {
  if (mergeOut === undefined) return null;
  const out = option(command, "--out");
  const sub = command.filter((a) => !a.startsWith("-"));
  if (command[0] === "load") {
    if (out === undefined) throw new CliUsageError("--merge-out: the load command needs --out DIR/ (the dataset the shards write)");
    return ["merge", out, "--out", mergeOut];
  }
  if (sub[0] === "filedb" && sub[1] === "scan") {
    if (out === undefined) throw new CliUsageError("--merge-out: filedb scan needs --out DIR (the directory of the shards' parts)");
    return ["filedb", "merge", out, "--out", mergeOut, "--overwrite"];
  }
  throw new CliUsageError(
    `--merge-out: ${JSON.stringify(command.slice(0, 2).join(" "))} has no merge step (give --merge "daqkit args" instead)`,
  );
}

function checkCommand(command: readonly string[]): void {
  if (command.length === 0) throw new CliUsageError("give the daqkit command to run after --, e.g. -- gen2 convert-all BIN PARQUET");
  if (command[0] === "daqkit") throw new CliUsageError("give the command without the leading 'daqkit' (the script adds it; see --daqkit)");
  if (command.some((a) => a === "--shard" || a.startsWith("--shard="))) {
    throw new CliUsageError("do not pass --shard in the command: each task of the job adds its own");
  }
}

function words(command: readonly string[]): string {
  return command.map(shellQuote).join(" ");
}

export interface SlurmOptions {
  readonly partition?: string;
  readonly time?: string;
  readonly mem?: string;
  readonly cpus?: number;
  readonly logDir: string;
  readonly workDir: string;
}

/** The array job script (sbatch reads the #SBATCH lines). */
export function slurmArrayScript(plan: ClusterPlan, o: SlurmOptions): string {
  const lines = [
    "#!/bin/bash",
    `#SBATCH --job-name=${plan.name}`,
    `#SBATCH --array=0-${plan.shards - 1}`,
    `#SBATCH --output=${o.logDir}/${plan.name}-%A_%a.out`,
    `#SBATCH --error=${o.logDir}/${plan.name}-%A_%a.err`,
    `#SBATCH --chdir=${o.workDir}`,
    "#SBATCH --ntasks=1",
    ...(o.cpus !== undefined ? [`#SBATCH --cpus-per-task=${o.cpus}`] : []),
    ...(o.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.mem !== undefined ? [`#SBATCH --mem=${o.mem}`] : []),
    `# daqkit cluster slurm: task I of the array runs shard I/${plan.shards}. Re-run failed tasks with`,
    `#   sbatch --array=I[,J…] THIS_SCRIPT   (each rewrites only its own outputs, atomically)`,
    "set -euo pipefail",
    `exec ${plan.daqkit} ${words(plan.command)} --shard "\${SLURM_ARRAY_TASK_ID}/${plan.shards}"`,
    "",
  ];
  return lines.join("\n");
}

/** The merge job script (submitted with --dependency=afterok:ARRAY). */
export function slurmMergeScript(plan: ClusterPlan, o: SlurmOptions): string | null {
  if (plan.merge === null) return null;
  return [
    "#!/bin/bash",
    `#SBATCH --job-name=${plan.name}-merge`,
    `#SBATCH --output=${o.logDir}/${plan.name}-merge-%j.out`,
    `#SBATCH --error=${o.logDir}/${plan.name}-merge-%j.err`,
    `#SBATCH --chdir=${o.workDir}`,
    "#SBATCH --ntasks=1",
    ...(o.partition !== undefined ? [`#SBATCH --partition=${o.partition}`] : []),
    ...(o.time !== undefined ? [`#SBATCH --time=${o.time}`] : []),
    ...(o.mem !== undefined ? [`#SBATCH --mem=${o.mem}`] : []),
    "# daqkit cluster slurm: merges the shards' outputs after every array task succeeded (it checks all are present).",
    "set -euo pipefail",
    `exec ${plan.daqkit} ${words(plan.merge)}`,
    "",
  ].join("\n");
}

/**
 * The printed submit script: writes the job scripts next to the logs, submits the array, then the merge
 * with `--dependency=afterok`, and prints both job ids. Run it with `bash`.
 */
export function slurmSubmitScript(plan: ClusterPlan, o: SlurmOptions): string {
  const array = slurmArrayScript(plan, o);
  const merge = slurmMergeScript(plan, o);
  const arrayPath = `${o.logDir}/${plan.name}.array.sbatch`;
  const mergePath = `${o.logDir}/${plan.name}.merge.sbatch`;
  const lines = [
    "#!/bin/bash",
    `# daqkit cluster slurm: ${plan.shards}-task array running \`daqkit ${words(plan.command)}\`${merge ? " and a dependent merge job" : ""}.`,
    "# Submit with: bash THIS_FILE   (prints the job ids). Edit freely.",
    "set -euo pipefail",
    `mkdir -p ${shellQuote(o.logDir)}`,
    `cat > ${shellQuote(arrayPath)} <<'DAQKIT_ARRAY_EOF'`,
    array.trimEnd(),
    "DAQKIT_ARRAY_EOF",
    `array_id=$(sbatch --parsable ${shellQuote(arrayPath)})`,
    `array_id=\${array_id%%;*}`,
    `echo "array \${array_id}"`,
  ];
  if (merge) {
    lines.push(
      `cat > ${shellQuote(mergePath)} <<'DAQKIT_MERGE_EOF'`,
      merge.trimEnd(),
      "DAQKIT_MERGE_EOF",
      `merge_id=$(sbatch --parsable --dependency=afterok:\${array_id} --kill-on-invalid-dep=yes ${shellQuote(mergePath)})`,
      `merge_id=\${merge_id%%;*}`,
      `echo "merge \${merge_id}"`,
    );
  }
  return `${lines.join("\n")}\n`;
}

export interface K8sOptions {
  readonly image: string;
  readonly pvc?: string;
  readonly mount: string;
  readonly cpu?: string;
  readonly mem?: string;
  readonly parallelism?: number;
  readonly backoffPerIndex: number;
}

function yamlString(s: string): string {
  return JSON.stringify(s); // a JSON string is a valid YAML double-quoted scalar
}

/** Indexed Job manifest (+ merge Job as a second document). */
export function k8sManifest(plan: ClusterPlan, o: K8sOptions): string {
  const resources =
    o.cpu !== undefined || o.mem !== undefined
      ? [
          "          resources:",
          "            requests:",
          ...(o.cpu !== undefined ? [`              cpu: ${yamlString(o.cpu)}`] : []),
          ...(o.mem !== undefined ? [`              memory: ${yamlString(o.mem)}`] : []),
        ]
      : [];
  const volumeMounts =
    o.pvc !== undefined ? ["          volumeMounts:", "            - name: data", `              mountPath: ${yamlString(o.mount)}`] : [];
  const volumes =
    o.pvc !== undefined
      ? ["      volumes:", "        - name: data", "          persistentVolumeClaim:", `            claimName: ${yamlString(o.pvc)}`]
      : [];
  const daqkit = plan.daqkit.split(/\s+/).filter((w) => w.length > 0);
  const container = (name: string, args: readonly string[], env: string[]) => [
    "      containers:",
    `        - name: ${name}`,
    `          image: ${yamlString(o.image)}`,
    `          command: [${[...daqkit, ...args].map(yamlString).join(", ")}]`,
    ...env,
    ...resources,
    ...volumeMounts,
  ];
  const docs = [
    [
      "# daqkit cluster k8s: an Indexed Job; the pod with JOB_COMPLETION_INDEX=I runs shard I of DAQKIT_SHARD_COUNT.",
      "# A failed index is retried on its own (backoffLimitPerIndex) and rewrites only its own outputs.",
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      `  name: ${plan.name}`,
      "spec:",
      "  completionMode: Indexed",
      `  completions: ${plan.shards}`,
      `  parallelism: ${o.parallelism ?? plan.shards}`,
      `  backoffLimitPerIndex: ${o.backoffPerIndex}`,
      `  maxFailedIndexes: ${plan.shards}`,
      "  template:",
      "    spec:",
      "      restartPolicy: Never",
      ...container("shard", plan.command, [
        "          env:",
        "            - name: DAQKIT_SHARD_COUNT",
        `              value: ${yamlString(String(plan.shards))}`,
      ]),
      ...volumes,
    ],
  ];
  if (plan.merge !== null) {
    docs.push([
      `# The merge: apply after the Indexed Job completed, e.g. kubectl wait --for=condition=complete job/${plan.name} --timeout=24h`,
      "apiVersion: batch/v1",
      "kind: Job",
      "metadata:",
      `  name: ${plan.name}-merge`,
      "spec:",
      "  backoffLimit: 2",
      "  template:",
      "    spec:",
      "      restartPolicy: Never",
      ...container("merge", plan.merge, []),
      ...volumes,
    ]);
  }
  return `${docs.map((d) => d.join("\n")).join("\n---\n")}\n`;
}

function positive(text: string, what: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw new CliUsageError(`${what} must be a positive integer, got ${JSON.stringify(text)}`);
  return Number(text);
}

function jobName(text: string | undefined, command: readonly string[]): string {
  const name =
    text ??
    `daqkit-${command
      .slice(0, 2)
      .filter((a) => /^[a-z][a-z0-9-]*$/.test(a))
      .join("-")}`;
  const clean = name
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 50);
  if (clean === "") throw new CliUsageError(`--name ${JSON.stringify(text)} has no letters or digits`);
  return clean;
}

function planFrom(command: string[], opts: CommonOptions): ClusterPlan {
  checkCommand(command);
  const shards = positive(opts.shards, "--shards");
  let merge: string[] | null = mergeCommand(command, opts.mergeOut);
  if (opts.merge !== undefined) {
    if (opts.mergeOut !== undefined) throw new CliUsageError("give --merge or --merge-out, not both");
    merge = opts.merge.split(/\s+/).filter((w) => w.length > 0);
    if (merge[0] === "daqkit") merge = merge.slice(1);
    if (merge.length === 0) throw new CliUsageError("--merge is empty");
  }
  return { command, shards, daqkit: opts.daqkit, name: jobName(opts.name, command), merge };
}

interface CommonOptions {
  shards: string;
  daqkit: string;
  name?: string;
  merge?: string;
  mergeOut?: string;
}

function sbatch(script: string, args: string[]): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn("sbatch", ["--parsable", ...args, script], { stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    child.on("error", (error) => reject(new CliUsageError(`--submit: cannot run sbatch: ${error.message}`)));
    child.on("close", (code) => {
      if (code === 0) resolvePromise((out.trim().split(";")[0] ?? "").trim());
      else reject(new CliUsageError(`--submit: sbatch ${script} failed (exit ${code}): ${err.trim()}`));
    });
  });
}

function addCommon(cmd: Command): Command {
  return cmd
    .argument("<command...>", "the daqkit command to shard, after -- (without 'daqkit' and without --shard)")
    .requiredOption("--shards <n>", "number of shards (array tasks / completions)")
    .option("--name <name>", "job name (default: daqkit-GROUP-COMMAND)")
    .option("--merge-out <file>", "add the merge step writing FILE (load --out DIR/ → daqkit merge; filedb scan --out DIR → filedb merge)")
    .option("--merge <args>", "the merge step as daqkit arguments (instead of --merge-out)")
    .option("--daqkit <text>", "how the job runs daqkit (shell text)", "daqkit");
}

/** `daqkit cluster …` */
export function registerClusterCommands(program: Command, getContext: () => CliContext): void {
  const cluster = program
    .command("cluster")
    .description("job scripts that run a sharded daqkit command on a cluster: a Slurm array or a Kubernetes Indexed Job, plus the merge");

  addCommon(
    cluster
      .command("slurm")
      .description("print a submit script: sbatch array job (one task per shard, per-task logs) and a dependent merge job"),
  )
    .option("--partition <p>", "Slurm partition")
    .option("--time <t>", "time limit per task (e.g. 01:00:00)")
    .option("--mem <m>", "memory per task (e.g. 4G)")
    .option("--cpus <n>", "CPUs per task")
    .option("--log-dir <dir>", "where the job scripts and the per-task logs go", "slurm-logs")
    .option("--submit", "write the job scripts to --log-dir, run sbatch and print the job ids", false)
    .action(
      async (
        command: string[],
        opts: CommonOptions & { partition?: string; time?: string; mem?: string; cpus?: string; logDir: string; submit: boolean },
      ) => {
        const ctx = getContext();
        const plan = planFrom(command, opts);
        const o: SlurmOptions = {
          ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
          ...(opts.time !== undefined ? { time: opts.time } : {}),
          ...(opts.mem !== undefined ? { mem: opts.mem } : {}),
          ...(opts.cpus !== undefined ? { cpus: positive(opts.cpus, "--cpus") } : {}),
          logDir: resolve(opts.logDir),
          workDir: process.cwd(),
        };
        if (!opts.submit) {
          const script = slurmSubmitScript(plan, o);
          ctx.print({ engine: "slurm", shards: plan.shards, script }, () => script);
          return;
        }
        await mkdir(o.logDir, { recursive: true });
        const arrayPath = join(o.logDir, `${plan.name}.array.sbatch`);
        await writeFile(arrayPath, slurmArrayScript(plan, o));
        const arrayId = await sbatch(arrayPath, []);
        const mergeScript = slurmMergeScript(plan, o);
        let mergeId: string | null = null;
        if (mergeScript !== null) {
          const mergePath = join(o.logDir, `${plan.name}.merge.sbatch`);
          await writeFile(mergePath, mergeScript);
          mergeId = await sbatch(mergePath, [`--dependency=afterok:${arrayId}`, "--kill-on-invalid-dep=yes"]);
        }
        ctx.print({ engine: "slurm", shards: plan.shards, array: arrayId, merge: mergeId, logDir: o.logDir }, () =>
          [`array ${arrayId}`, ...(mergeId ? [`merge ${mergeId}`] : [])].join("\n"),
        );
      },
    );

  addCommon(
    cluster.command("k8s").description("print a Kubernetes Indexed Job manifest (one completion index per shard) and the merge Job"),
  )
    .requiredOption("--image <image>", "container image with daqkit installed")
    .option("--pvc <claim>", "PersistentVolumeClaim holding the data, mounted in every pod")
    .option("--mount <path>", "where the claim is mounted", "/data")
    .option("--cpu <q>", "CPU request per pod (e.g. 1)")
    .option("--mem <q>", "memory request per pod (e.g. 4Gi)")
    .option("--parallelism <n>", "pods running at once (default: --shards)")
    .option("--backoff-per-index <n>", "retries of one failed index", "2")
    .action(
      async (
        command: string[],
        opts: CommonOptions & {
          image: string;
          pvc?: string;
          mount: string;
          cpu?: string;
          mem?: string;
          parallelism?: string;
          backoffPerIndex: string;
        },
      ) => {
        const ctx = getContext();
        const plan = planFrom(command, opts);
        if (!/^\d{1,3}$/.test(opts.backoffPerIndex))
          throw new CliUsageError(`--backoff-per-index must be an integer, got ${JSON.stringify(opts.backoffPerIndex)}`);
        const manifest = k8sManifest(plan, {
          image: opts.image,
          mount: opts.mount,
          backoffPerIndex: Number(opts.backoffPerIndex),
          ...(opts.pvc !== undefined ? { pvc: opts.pvc } : {}),
          ...(opts.cpu !== undefined ? { cpu: opts.cpu } : {}),
          ...(opts.mem !== undefined ? { mem: opts.mem } : {}),
          ...(opts.parallelism !== undefined ? { parallelism: positive(opts.parallelism, "--parallelism") } : {}),
        });
        ctx.print({ engine: "kubernetes", shards: plan.shards, manifest }, () => manifest);
      },
    );
}
