/**
 * The image test's disk: a copy of the built image, decompressed and enlarged, and files read from or written
 * into its root file system with debugfs (no loop device, no mount: the ext4 file system is opened at its
 * partition's offset inside the disk file).
 */
import { execFile } from "node:child_process";
import { writeFile } from "node:fs/promises";
import { dirname, join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

/** Decompresses `image` (.img.zst) to `<dir>/disk.img` and grows the file by `extraGiB`; returns its path. */
export async function diskFromImage(image: string, dir: string, extraGiB: number): Promise<string> {
  const disk = join(dir, "disk.img");
  await run("zstd", ["-q", "-d", "-f", image, "-o", disk]);
  await run("truncate", ["-s", `+${extraGiB}G`, disk]);
  return disk;
}

interface Partition {
  start: number;
  size: number;
}

async function rootPartition(disk: string): Promise<Partition & { sectorSize: number }> {
  const { stdout } = await run("sfdisk", ["--json", disk]);
  const table = JSON.parse(stdout) as { partitiontable: { sectorsize?: number; partitions: Partition[] } };
  const last = table.partitiontable.partitions.at(-1);
  if (!last) throw new Error(`no partitions in ${disk}`);
  return { ...last, sectorSize: table.partitiontable.sectorsize ?? 512 };
}

/** The byte size of the disk's last partition (the root), from its partition table. */
export async function rootPartitionBytes(disk: string): Promise<number> {
  const root = await rootPartition(disk);
  return root.size * root.sectorSize;
}

async function debugfs(disk: string, commands: string[], write: boolean): Promise<string> {
  const root = await rootPartition(disk);
  const args = [...(write ? ["-w"] : []), "-f", "-", `${disk}?offset=${root.start * root.sectorSize}`];
  return new Promise((resolve, reject) => {
    const child = execFile("debugfs", args, { maxBuffer: 16 * 1024 * 1024 }, (error, stdout) => {
      if (error) reject(new Error(`debugfs failed: ${error.message}`));
      else resolve(stdout);
    });
    child.stdin?.end(commands.join("\n") + "\n");
  });
}

/** A file's content in the root file system. */
export async function readRootFile(disk: string, path: string): Promise<string> {
  const out = await debugfs(disk, [`cat ${path}`], false);
  // debugfs echoes each command read from stdin before its output.
  return out.replace(/^debugfs: .*\n/, "");
}

/** Writes (replaces) files in the root file system, owned by root with mode 0644, making their folder if need be. */
export async function writeRootFiles(disk: string, dir: string, files: Record<string, string>): Promise<void> {
  const commands: string[] = [];
  let n = 0;
  for (const [path, content] of Object.entries(files)) {
    const local = join(dir, `root-file-${n++}`);
    await writeFile(local, content, { mode: 0o644 });
    // mkdir and rm complain, and debugfs goes on, where the folder exists or the file does not.
    commands.push(`mkdir ${dirname(path)}`, `rm ${path}`, `write ${local} ${path}`, `sif ${path} uid 0`, `sif ${path} gid 0`, `sif ${path} mode 0100644`);
  }
  await debugfs(disk, commands, true);
}
