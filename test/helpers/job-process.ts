// A process that runs one leased job on a SQLite metadata file, for the job lease tests:
// `node job-process.js <db> <log> <lease ms> <interval ms> <run ms | forever>`. Each run appends
// `start <holder> <epoch ms>` and `end <holder> <epoch ms>` lines to the log. Runs until SIGTERM.
import { appendFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { pino } from "pino";
import { SqlJobLeases } from "../../src/jobs/leases.js";
import { JobRunner } from "../../src/jobs/runner.js";
import { openSqliteDatabase } from "../../src/metadata/sqlite.js";

const [dbPath, logPath, lease, interval, runFor] = process.argv.slice(2);
// Without arguments (the test runner loading every file under test/) there is nothing to do.
if (dbPath && logPath) {
  const db = await openSqliteDatabase(dbPath);
  const runner = new JobRunner(new SqlJobLeases(db.kysely), pino({ level: "silent" }), { lease: Number(lease), poll: 20 });
  runner.start({
    name: "test-job",
    interval: Number(interval),
    async run(signal) {
      appendFileSync(logPath, `start ${runner.holder} ${Date.now()}\n`);
      if (runFor === "forever") await new Promise(() => {});
      await sleep(Number(runFor), undefined, { signal }).catch(() => {});
      appendFileSync(logPath, `end ${runner.holder} ${Date.now()}\n`);
    },
  });
  process.on("SIGTERM", () => void runner.stop().then(() => db.kysely.destroy()).then(() => process.exit(0)));
  // The runner's timers do not hold a server open; this process lives until it is told to stop.
  setInterval(() => {}, 1 << 30);
  process.stdout.write("ready\n");
}
