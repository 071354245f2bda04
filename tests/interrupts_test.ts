import assert from "node:assert/strict";
import { Interrupts } from "../src/cli/interrupts.ts";
import {
  displayPath,
  resumeCommandFor,
  startedByDenoTask,
} from "../src/cli/launch.ts";

function harness(windowMs: number) {
  let t = 0;
  const out: string[] = [];
  const exits: number[] = [];
  const irq = new Interrupts({
    stderr: (s) => out.push(s),
    exit: (code) => exits.push(code),
    now: () => t,
  }, { duplicateWindowMs: windowMs, graceSeconds: 5 });
  return { irq, out, exits, at: (ms: number) => (t = ms) };
}

Deno.test("Interrupts counts the copies of one Ctrl-C that deno task forwards once", () => {
  const h = harness(400);
  h.irq.signal("SIGINT");
  h.at(2);
  h.irq.signal("SIGINT");
  h.irq.signal("SIGINT");
  assert.ok(h.irq.stop.aborted);
  assert.ok(!h.irq.abort.aborted, "requests in flight get the grace");
  assert.deepEqual(h.exits, []);
  assert.equal(
    h.out.join("").match(/Stopping: no new questions; 5s/g)?.length,
    1,
  );
  // A deliberate second Ctrl-C exits at once.
  h.at(1500);
  h.irq.signal("SIGINT");
  assert.deepEqual(h.exits, [130]);
  assert.match(h.out.join(""), /Exiting now/);
  h.irq.dispose();
});

Deno.test("Interrupts without a window exits on any second signal", () => {
  const h = harness(0);
  h.irq.signal("SIGTERM");
  h.irq.signal("SIGTERM");
  assert.deepEqual(h.exits, [130]);
  h.irq.dispose();
});

Deno.test("Interrupts after the run only stops serving, with no grace message", async () => {
  const h = harness(0);
  h.irq.serving();
  h.irq.signal("SIGINT");
  await h.irq.served;
  assert.doesNotMatch(h.out.join(""), /requests in flight/);
  assert.match(h.out.join(""), /Stopping the metrics server/);
  h.irq.dispose();
});

Deno.test("Interrupts.orphaned() stops gracefully once", () => {
  const h = harness(0);
  h.irq.orphaned();
  h.irq.orphaned();
  assert.ok(h.irq.stop.aborted);
  assert.deepEqual(h.exits, []);
  assert.equal(h.out.join("").match(/deno task\) is gone/g)?.length, 1);
  h.irq.dispose();
});

Deno.test("startedByDenoTask() reads the INIT_CWD that deno task sets", () => {
  assert.equal(startedByDenoTask("/home/me"), true);
  assert.equal(startedByDenoTask(undefined), false);
  assert.equal(startedByDenoTask(""), false);
});

Deno.test("resumeCommandFor() names the command the user can run", () => {
  const base = {
    underTask: false,
    standalone: true,
    execPath: "/usr/local/bin/llm-bench",
  };
  assert.equal(resumeCommandFor(base), "llm-bench");
  assert.equal(
    resumeCommandFor({ ...base, execPath: "/home/me/dist/llm-bench" }),
    "/home/me/dist/llm-bench",
  );
  assert.equal(
    resumeCommandFor({
      ...base,
      underTask: true,
      standalone: false,
      execPath: "/usr/bin/deno",
    }),
    "deno task cli",
  );
  assert.equal(displayPath("/home/me/results/r1", "/home/me"), "results/r1");
  assert.equal(displayPath("/tmp/r1", "/home/me"), "/tmp/r1");
  assert.equal(displayPath("/tmp/it's", "/"), `'tmp/it'\\''s'`);
});
