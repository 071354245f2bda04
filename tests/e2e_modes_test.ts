// End-to-end tests of the evaluation modes and prompt options, through the
// real CLI against the fake Ollama: cot, answer with a server that ignores
// `format`, logprobs, thinking models, few-shot, presets, option shuffling,
// question selection, repeats, several models and --fail-under. Every
// accuracy is checked against the truth the test scripted.

import assert from "node:assert/strict";
import { join } from "node:path";
import {
  type FakeReply,
  type FakeRequest,
  startFakeOllama,
} from "./fake_ollama.ts";
import {
  copyMmluSubjects,
  countBy,
  type GeneratedQuestion,
  jsonReplies,
  messagesKey,
  onlyRunDir,
  questionFor,
  quietFlags,
  readMmluRows,
  readResults,
  readSummaryFile,
  runAndRead,
  runCli,
  tempDir,
  truth,
  writeDataset,
} from "./cli_helper.ts";
import { inSample } from "../src/dataset/select.ts";
import type { ResultRecord } from "../src/schema.ts";

const LETTERS = ["A", "B", "C", "D"];
/** The option texts writeDataset gives every question, in file order. */
const OPTION_TEXTS = ["alpha", "beta, gamma", "delta", "epsilon"];

function byMarker(
  results: ResultRecord[],
  questions: GeneratedQuestion[],
): Map<GeneratedQuestion, ResultRecord> {
  // Result ids are `<file>:<line>`; generated rows take two lines each.
  const out = new Map<GeneratedQuestion, ResultRecord>();
  for (const q of questions) {
    const r = results.find((x) =>
      x.file === `${q.subject}_test.csv` && x.line === 2 * q.n - 1 &&
      x.repeat === 0
    );
    if (!r) throw new Error(`no result for ${q.marker}`);
    out.set(q, r);
  }
  return out;
}

function mustFind(
  req: FakeRequest,
  qs: GeneratedQuestion[],
): GeneratedQuestion {
  const q = questionFor(req, qs);
  if (!q) throw new Error(`request names no generated question: ${req.text}`);
  return q;
}

Deno.test("llm-bench --mode cot scores free-text reasoning exactly and leaves cut-off replies unparsed", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "astronomy", "virology"],
    10,
  );
  const style = (q: GeneratedQuestion) => q.n % 5;
  await using fake = await startFakeOllama({
    parallel: 4,
    reply: (req): FakeReply => {
      const q = mustFind(req, questions);
      const x = q.reply;
      switch (style(q)) {
        case 0:
          return {
            content: "Let me weigh A against B. C looks",
            doneReason: "length",
          };
        case 1:
          return {
            content:
              `Option A mentions alpha, B mentions beta and D is out.\nAnswer: ${x}`,
          };
        case 2:
          return {
            content:
              `A is not right and neither is C.\nTherefore, the answer is (${x}).`,
          };
        case 3:
          return {
            content: `Consider A, B, C and D in turn.\n\n$\\boxed{${x}}$`,
          };
        default:
          return {
            content:
              `At first the answer is A, but on reflection no.\n**Answer:** ${x}`,
          };
      }
    },
  });
  const run = await runAndRead(
    [join(tmp, "data"), "--mode", "cot", ...quietFlags(fake.url)],
    join(tmp, "out"),
  );
  const truncated = questions.filter((q) => style(q) === 0);
  const scored = questions.filter((q) => style(q) !== 0);
  const correct = scored.filter((q) => q.reply === q.answer).length;
  assert.equal(run.summary.counts.total, 30);
  assert.equal(run.summary.counts.correct, correct);
  assert.equal(run.summary.counts.wrong, scored.length - correct);
  assert.equal(run.summary.counts.unparsed, truncated.length);
  assert.equal(run.summary.accuracy, correct / 30);
  assert.deepEqual(run.summary["unparsed_by_reason"], {
    truncated: truncated.length,
  });
  for (const [q, r] of byMarker(run.results, questions)) {
    if (style(q) === 0) {
      assert.equal(r.status, "unparsed", q.marker);
      assert.equal(r.reason, "truncated", q.marker);
      assert.equal(r.predicted, null);
      assert.equal(r["done_reason"], "length");
    } else {
      assert.equal(r.predicted, q.reply, q.marker);
      assert.equal(r.method, "answer_is", q.marker);
    }
  }
  const body = fake.requests[0]!.body;
  assert.equal("format" in body, false, "cot mode sends no JSON schema");
  assert.equal(
    "think" in body,
    false,
    "a model that cannot think gets no think",
  );
  assert.equal((body.options as Record<string, unknown>)["num_predict"], 2048);
  assert.match(fake.requests[0]!.text, /Think step by step before answering/);
});

Deno.test("llm-bench answer mode scores a server that ignores format, and records the method", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    10,
  );
  const styles: Array<[(x: string) => string, string]> = [
    [(x) => `The answer is ${x}`, "answer_is"],
    [(x) => `**${x}**`, "bold"],
    [(x) => x, "lone_letter"],
    [(x) => `Answer: ${x}`, "answer_is"],
    [(x) => "```json\n" + JSON.stringify({ answer: x }) + "\n```", "json"],
  ];
  await using fake = await startFakeOllama({
    parallel: 2,
    reply: (req) => {
      const q = mustFind(req, questions);
      return { content: styles[q.n % 5]![0](q.reply) };
    },
  });
  const run = await runAndRead(
    [join(tmp, "data"), ...quietFlags(fake.url)],
    join(tmp, "out"),
  );
  const t = truth(questions);
  assert.equal(run.summary.counts.correct, t.correct);
  assert.equal(run.summary.counts.wrong, t.wrong);
  assert.equal(run.summary.counts.unparsed, 0);
  assert.equal(run.summary.accuracy, t.accuracy);
  for (const [q, r] of byMarker(run.results, questions)) {
    assert.equal(r.predicted, q.reply, q.marker);
    assert.equal(r.method, styles[q.n % 5]![1], `${q.marker}: ${r.raw}`);
  }
  assert.ok(fake.requests.every((x) => typeof x.body.format === "object"));
});

Deno.test("llm-bench --mode logprobs picks the most probable letter from the first token and reports calibration", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    6,
  );
  // The sampled token is the decoy " Y" (0.4), but " X" and "X" together
  // (0.3 + 0.25) make X the most probable letter.
  const decoyOf = (x: string) => LETTERS[(LETTERS.indexOf(x) + 1) % 4]!;
  await using fake = await startFakeOllama({
    reply: (req) => {
      const q = mustFind(req, questions);
      const x = q.reply;
      const y = decoyOf(x);
      return {
        content: ` ${y}`,
        logprobs: [{
          token: ` ${y}`,
          logprob: Math.log(0.4),
          "top_logprobs": [
            { token: ` ${y}`, logprob: Math.log(0.4) },
            { token: ` ${x}`, logprob: Math.log(0.3) },
            { token: x, logprob: Math.log(0.25) },
            { token: " The", logprob: Math.log(0.05) },
          ],
        }],
      };
    },
  });
  const run = await runAndRead(
    [join(tmp, "data"), "--mode", "logprobs", ...quietFlags(fake.url)],
    join(tmp, "out"),
  );
  const t = truth(questions);
  assert.equal(run.summary.counts.correct, t.correct);
  assert.equal(run.summary.accuracy, t.accuracy);
  for (const req of fake.requests) {
    assert.equal(req.path, "/api/generate");
    assert.equal(req.body.raw, true);
    assert.equal(req.body.logprobs, true);
    assert.equal(req.body["top_logprobs"], 20);
    assert.equal(
      (req.body.options as Record<string, unknown>)["num_predict"],
      1,
    );
    assert.ok(String(req.body.prompt).endsWith("Answer:"));
    assert.equal("messages" in req.body, false);
  }
  const px = 0.55 / 0.95;
  const py = 0.4 / 0.95;
  let brier = 0;
  for (const [q, r] of byMarker(run.results, questions)) {
    assert.equal(r.predicted, q.reply, q.marker);
    assert.equal(r.method, "logprobs");
    const probs = r["letter_probs"];
    assert.ok(probs, `letter_probs of ${q.marker}`);
    assert.ok(Math.abs(probs[q.reply]! - px) < 1e-9);
    assert.ok(Math.abs(probs[decoyOf(q.reply)]! - py) < 1e-9);
    for (const l of LETTERS) {
      brier += ((probs[l] ?? 0) - (l === q.answer ? 1 : 0)) ** 2;
    }
  }
  const cal = run.summary.calibration;
  assert.ok(cal, "summary.calibration");
  assert.equal(cal.n, questions.length);
  assert.ok(Math.abs(cal.brier - brier / questions.length) < 1e-9);
  // One confidence for every question, so one bin: |accuracy - confidence|.
  assert.ok(Math.abs(cal.ece - Math.abs(t.accuracy - px)) < 1e-9);
});

Deno.test("llm-bench sends think only to thinking models and never reads the thinking text", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "virology"],
    6,
  );
  const models = [{
    name: "qwen3:8b",
    capabilities: ["completion", "thinking"],
  }];

  await t.step("answer mode sends think: false", async () => {
    await using fake = await startFakeOllama({
      models,
      reply: jsonReplies(questions),
    });
    const run = await runAndRead(
      [join(tmp, "data"), "--model", "qwen3:8b", ...quietFlags(fake.url)],
      join(tmp, "answer"),
    );
    // One request per question, each with think: false.
    assert.equal(fake.requests.length, questions.length);
    assert.ok(fake.requests.every((x) => x.body.think === false));
    assert.equal(run.summary.accuracy, truth(questions).accuracy);
  });

  await t.step(
    "cot mode sends think: true; a decoy in thinking is ignored",
    async () => {
      // n % 4: 0 = out of budget inside thinking, 1 = no answer in content
      // (only in thinking), else "Answer: X" in content, decoy in thinking.
      await using fake = await startFakeOllama({
        models,
        reply: (req): FakeReply => {
          const q = mustFind(req, questions);
          const decoy =
            "The options look close. Answer: A. Hmm, let me re-check.";
          if (q.n % 4 === 0) {
            return {
              content: "",
              thinking: "Answer: A is tempting, but " +
                "more thought ".repeat(20),
              doneReason: "length",
            };
          }
          if (q.n % 4 === 1) {
            return { content: "I cannot decide.", thinking: decoy };
          }
          return { content: `Answer: ${q.reply}`, thinking: decoy };
        },
      });
      const run = await runAndRead(
        [
          join(tmp, "data"),
          "--model",
          "qwen3:8b",
          "--mode",
          "cot",
          ...quietFlags(fake.url),
        ],
        join(tmp, "cot"),
      );
      assert.ok(fake.requests.every((x) => x.body.think === true));
      const answered = questions.filter((q) => q.n % 4 >= 2);
      const correct = answered.filter((q) => q.reply === q.answer).length;
      assert.equal(run.summary.counts.correct, correct);
      assert.equal(
        run.summary.counts.unparsed,
        questions.length - answered.length,
      );
      assert.equal(run.summary.accuracy, correct / questions.length);
      for (const [q, r] of byMarker(run.results, questions)) {
        if (q.n % 4 === 0) {
          assert.equal(r.status, "unparsed", q.marker);
          assert.equal(r.reason, "truncated_in_thinking", q.marker);
        } else if (q.n % 4 === 1) {
          assert.equal(r.status, "unparsed", q.marker);
          assert.equal(r.reason, "no answer found", q.marker);
        } else {
          assert.equal(r.predicted, q.reply, q.marker);
        }
        assert.ok(r.thinking?.includes("Answer: A"), "thinking is recorded");
      }
    },
  );

  await t.step(
    "a model without the thinking capability never gets think",
    async () => {
      await using fake = await startFakeOllama({
        reply: () => ({ content: "Answer: B" }),
      });
      await runAndRead(
        [join(tmp, "data"), "--mode", "cot", ...quietFlags(fake.url)],
        join(tmp, "plain"),
      );
      // One request per question, none with think.
      assert.equal(fake.requests.length, questions.length);
      assert.ok(fake.requests.every((x) => !("think" in x.body)));
    },
  );
});

/** The MMLU few-shot block of one dev row, as hendrycks/test writes it. */
function devExample(row: string[]): string {
  return `${row[0]}\nA. ${row[1]}\nB. ${row[2]}\nC. ${row[3]}\nD. ${
    row[4]
  }\nAnswer: ${row[5]}\n\n`;
}

Deno.test("llm-bench --shots 5 puts the subject's dev examples in the prompt and does not count them as questions", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const subjects = ["abstract_algebra", "high_school_geography"];
  await copyMmluSubjects(join(tmp, "data"), subjects);
  const dev = new Map<string, string[][]>();
  for (const s of subjects) {
    dev.set(s, await readMmluRows(join(tmp, "data", "dev", `${s}_dev.csv`)));
  }

  await t.step("one user message holding the 5 examples", async () => {
    await using fake = await startFakeOllama({ parallel: 4 });
    const run = await runAndRead(
      [
        join(tmp, "data"),
        "--shots",
        "5",
        "--concurrency",
        "8",
        ...quietFlags(fake.url),
      ],
      join(tmp, "o1"),
    );
    assert.equal(
      run.summary.counts.total,
      100 + 198,
      "dev rows are not questions",
    );
    assert.match(run.stderr, /2 dev file\(s\) are few-shot sources/);
    const expectedA = run.results.filter((r) => r.expected === "A").length;
    assert.equal(run.summary.counts.correct, expectedA);
    for (const req of fake.requests.slice(0, 20)) {
      const msgs = req.body.messages as Array<
        { role: string; content: string }
      >;
      assert.equal(msgs.length, 1);
      const subject = subjects.find((s) =>
        msgs[0]!.content.startsWith(
          `The following are multiple choice questions (with answers) about  ${
            s.replaceAll("_", " ")
          }.\n\n`,
        )
      );
      assert.ok(subject, msgs[0]!.content.slice(0, 120));
      let at = 0;
      for (const row of dev.get(subject)!) {
        const i = msgs[0]!.content.indexOf(devExample(row), at);
        assert.ok(i >= at, `dev example missing or out of order: ${row[0]}`);
        at = i;
      }
      assert.ok(msgs[0]!.content.endsWith("\nAnswer:"));
    }
    // results.jsonl holds exactly what was sent.
    const sent = new Set(
      fake.requests.map((x) =>
        messagesKey(x.body.messages as Array<{ role: "user"; content: string }>)
      ),
    );
    for (const r of run.results) {
      assert.ok(sent.has(messagesKey(r.messages)), r.id);
    }
  });

  await t.step("--fewshot-as-chat sends user/assistant turns", async () => {
    await using fake = await startFakeOllama({});
    const run = await runAndRead(
      [
        join(tmp, "data"),
        "--shots",
        "5",
        "--fewshot-as-chat",
        "--limit",
        "2",
        ...quietFlags(fake.url),
      ],
      join(tmp, "o2"),
    );
    assert.equal(run.summary.counts.total, 4);
    for (const r of run.results) {
      const msgs = r.messages!;
      assert.deepEqual(
        msgs.map((m) => m.role),
        [...Array(5).fill(["user", "assistant"]).flat(), "user"],
      );
      const rows = dev.get(r.subject)!;
      assert.deepEqual(
        msgs.filter((m) => m.role === "assistant").map((m) => m.content),
        rows.map((row) => row[5]),
      );
      msgs.filter((m) => m.role === "user").slice(0, 5).forEach((m, i) =>
        assert.ok(m.content.includes(rows[i]![0]!), `example ${i} of ${r.id}`)
      );
      const sent = fake.requests.find((x) =>
        messagesKey(x.body.messages as typeof msgs) === messagesKey(msgs)
      );
      assert.ok(sent, `results.jsonl messages of ${r.id} were sent as such`);
    }
  });
});

Deno.test("llm-bench --preset runs each published setup with its wording", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  await copyMmluSubjects(join(tmp, "data"), ["abstract_algebra"]);
  const dev = await readMmluRows(
    join(tmp, "data", "dev", "abstract_algebra_dev.csv"),
  );
  const test = await readMmluRows(
    join(tmp, "data", "test", "abstract_algebra_test.csv"),
  );
  const args = (
    url: string,
  ) => [join(tmp, "data"), "--limit", "3", ...quietFlags(url)];

  await t.step(
    "mmlu-5shot: raw 5-shot MMLU prompt scored by logprobs",
    async () => {
      await using fake = await startFakeOllama({});
      const run = await runAndRead([
        ...args(fake.url),
        "--preset",
        "mmlu-5shot",
      ], join(tmp, "p1"));
      assert.equal(run.summary.mode, "logprobs");
      assert.equal(run.summary.counts.total, 3);
      const prompt = String(fake.requests[0]!.body.prompt);
      assert.equal(fake.requests[0]!.path, "/api/generate");
      const row = test[0]!;
      assert.equal(
        prompt,
        "The following are multiple choice questions (with answers) about  abstract algebra.\n\n" +
          dev.map(devExample).join("") +
          `${row[0]}\nA. ${row[1]}\nB. ${row[2]}\nC. ${row[3]}\nD. ${
            row[4]
          }\nAnswer:`,
      );
      assert.ok(run.results.every((r) => r.method === "logprobs"));
    },
  );

  await t.step(
    "simple-evals-cot: zero-shot QUERY_TEMPLATE_MULTICHOICE",
    async () => {
      await using fake = await startFakeOllama({
        reply: () => ({ content: "Step by step...\nAnswer: B" }),
      });
      const run = await runAndRead([
        ...args(fake.url),
        "--preset",
        "simple-evals-cot",
      ], join(tmp, "p2"));
      assert.equal(run.summary.mode, "cot");
      const row = test[0]!;
      assert.equal(
        fake.requests[0]!.text,
        "Answer the following multiple choice question. The last line of your response should be of the following format: 'Answer: $LETTER' (without quotes) where LETTER is one of ABCD. Think step by step before answering.\n\n" +
          `${row[0]}\n\nA) ${row[1]}\nB) ${row[2]}\nC) ${row[3]}\nD) ${row[4]}`,
      );
      assert.equal(
        run.summary.counts.correct,
        run.results.filter((r) => r.expected === "B").length,
      );
    },
  );

  await t.step("mmlu-pro-cot: 5-shot, ends with the answer cue", async () => {
    await using fake = await startFakeOllama({
      reply: () => ({ content: "Checking each... the answer is (C)." }),
    });
    const run = await runAndRead([
      ...args(fake.url),
      "--preset",
      "mmlu-pro-cot",
    ], join(tmp, "p3"));
    assert.equal(run.summary.mode, "cot");
    const text = fake.requests[0]!.text;
    assert.ok(
      text.startsWith(
        'The following are multiple choice questions (with answers) about abstract algebra. Think step by step and then finish your answer with "the answer is (X)" where X is the correct letter choice.\n\n',
      ),
      text.slice(0, 200),
    );
    for (const row of dev) {
      assert.ok(
        text.includes(
          `Question:\n${row[0]}\nOptions:\nA. ${row[1]}\nB. ${row[2]}\nC. ${
            row[3]
          }\nD. ${row[4]}\nAnswer: Let's think step by step. The answer is (${
            row[5]
          }).\n\n`,
        ),
        `example ${row[0]}`,
      );
    }
    assert.ok(text.endsWith("Answer: Let's think step by step."));
    assert.equal(
      run.summary.counts.correct,
      run.results.filter((r) => r.expected === "C").length,
    );
  });
});

Deno.test("llm-bench --shuffle-choices moves the right answers and still scores exactly", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(
    join(tmp, "data"),
    ["anatomy", "astronomy", "virology"],
    20,
  );
  const replied: string[] = [];
  // Answers by option TEXT: the text the script says to pick, at whatever
  // letter the prompt now shows it.
  const reply = (req: FakeRequest): FakeReply => {
    const q = mustFind(req, questions);
    const want = OPTION_TEXTS[LETTERS.indexOf(q.reply)]!;
    const line = req.text.split("\n").find((l) =>
      l.slice(3) === want && /^[A-D]\. /.test(l)
    );
    if (!line) throw new Error(`option "${want}" not in prompt`);
    replied.push(line[0]!);
    return { content: JSON.stringify({ answer: line[0] }) };
  };
  const t = truth(questions);

  await using fake = await startFakeOllama({ parallel: 4, reply });
  const plain = await runAndRead(
    [join(tmp, "data"), ...quietFlags(fake.url)],
    join(tmp, "plain"),
  );
  assert.equal(plain.summary.accuracy, t.accuracy);
  replied.length = 0;
  const shuffled = await runAndRead(
    [join(tmp, "data"), "--shuffle-choices", "7", ...quietFlags(fake.url)],
    join(tmp, "shuffled"),
  );
  assert.equal(shuffled.summary.counts.correct, t.correct);
  assert.equal(shuffled.summary.accuracy, t.accuracy);
  const before = plain.summary.letters.expected;
  const after = shuffled.summary.letters.expected;
  assert.notDeepEqual(after, before, "the expected letters moved");
  assert.deepEqual(after, countBy(shuffled.results, (r) => r.expected));
  assert.deepEqual(
    shuffled.summary.letters.predicted,
    countBy(replied, (l) => l),
  );
  // The right option's text is still the right answer.
  for (const r of shuffled.results) {
    const m = /\[([a-z]+)#(\d+)\]/.exec(r.messages![0]!.content)!;
    const q = questions.find((x) =>
      x.subject === m[1] && x.n === Number(m[2])
    )!;
    const line = r.messages![0]!.content.split("\n").find((l) =>
      /^[A-D]\. /.test(l) &&
      l.slice(3) === OPTION_TEXTS[LETTERS.indexOf(q.answer)]
    );
    assert.equal(r.expected, line?.[0], r.id);
  }
});

Deno.test("llm-bench --limit, --subjects and --sample select the right questions", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  await writeDataset(
    join(tmp, "data"),
    ["anatomy", "astronomy", "virology"],
    10,
  );
  await using fake = await startFakeOllama({ parallel: 4 });
  const data = join(tmp, "data");
  const all = await runAndRead(
    [data, ...quietFlags(fake.url)],
    join(tmp, "all"),
  );
  assert.equal(all.summary.counts.total, 30);

  await t.step("--limit 3: three per subject, the first three", async () => {
    const run = await runAndRead([
      data,
      "--limit",
      "3",
      ...quietFlags(fake.url),
    ], join(tmp, "limit"));
    assert.equal(run.summary.counts.total, 9);
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(run.summary.subjects).map(([k, v]) => [k, v.total]),
      ),
      { anatomy: 3, astronomy: 3, virology: 3 },
    );
    assert.ok(run.results.every((r) => r.line <= 5));
  });
  await t.step("--subjects anatomy,virology", async () => {
    const run = await runAndRead(
      [data, "--subjects", "anatomy,virology", ...quietFlags(fake.url)],
      join(tmp, "subjects"),
    );
    assert.equal(run.summary.counts.total, 20);
    assert.deepEqual(Object.keys(run.summary.subjects).sort(), [
      "anatomy",
      "virology",
    ]);
  });
  await t.step(
    "--sample 0.5 --seed 1: the seeded half, the same twice",
    async () => {
      const args = [
        data,
        "--sample",
        "0.5",
        "--seed",
        "1",
        ...quietFlags(fake.url),
      ];
      const a = await runAndRead(args, join(tmp, "sample1"));
      const b = await runAndRead(args, join(tmp, "sample2"));
      const want = all.results.map((r) => r.id).filter((id) =>
        inSample(id, 0.5, 1)
      ).sort();
      assert.deepEqual(a.results.map((r) => r.id).sort(), want);
      assert.deepEqual(b.results.map((r) => r.id).sort(), want);
      assert.ok(want.length >= 6 && want.length <= 24, `${want.length} of 30`);
      assert.equal(a.summary.counts.total, want.length);
    },
  );
});

Deno.test("llm-bench --repeats 3 asks every question three times and reports consistency", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "virology",
  ], 4);
  const asked = new Map<string, number>();
  let correct = 0;
  // Questions with n = 4 change their answer on every repeat.
  await using fake = await startFakeOllama({
    reply: (req) => {
      const q = mustFind(req, questions);
      const k = asked.get(q.marker) ?? 0;
      asked.set(q.marker, k + 1);
      const letter = q.n === 4 ? LETTERS[k % 4]! : q.reply;
      if (letter === q.answer) correct++;
      return { content: JSON.stringify({ answer: letter }) };
    },
  });
  const run = await runAndRead(
    [
      join(tmp, "data"),
      "--repeats",
      "3",
      "--temperature",
      "0.7",
      ...quietFlags(fake.url),
    ],
    join(tmp, "out"),
  );
  assert.equal(run.results.length, 24);
  assert.equal(run.summary.counts.total, 24);
  const repeatsById = new Map<string, number[]>();
  for (const r of run.results) {
    repeatsById.set(r.id, [...(repeatsById.get(r.id) ?? []), r.repeat]);
  }
  assert.equal(repeatsById.size, 8);
  for (const [id, reps] of repeatsById) {
    assert.deepEqual(reps.sort(), [0, 1, 2], id);
  }
  assert.ok([...asked.values()].every((n) => n === 3));
  assert.equal(run.summary.counts.correct, correct);
  assert.equal(run.summary.accuracy, correct / 24);
  assert.deepEqual(run.summary.repeats, {
    runs: 3,
    questions: 8,
    consistent: 6,
    consistency: 6 / 8,
  });
  assert.ok(
    fake.requests.every((x) =>
      (x.body.options as Record<string, unknown>).temperature === 0.7
    ),
  );
});

Deno.test("llm-bench --model a,b runs both, compares them and unloads the first", async () => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "virology",
  ], 15);
  const scripted = jsonReplies(questions);
  await using fake = await startFakeOllama({
    models: [{ name: "llama3.2:latest" }, { name: "qwen3:8b" }],
    parallel: 2,
    // qwen3 is always right; llama3.2 follows the script.
    reply: (req) =>
      req.body.model === "qwen3:8b"
        ? {
          content: JSON.stringify({ answer: mustFind(req, questions).answer }),
        }
        : scripted(req),
  });
  const out = join(tmp, "out");
  const r = await runCli([
    join(tmp, "data"),
    "--model",
    "llama3.2,qwen3:8b",
    ...quietFlags(fake.url),
    "--output-dir",
    out,
  ]);
  assert.equal(r.code, 0, r.stderr);
  const dir = await onlyRunDir(out);
  const a = await readSummaryFile(join(dir, "llama3.2"));
  const b = await readSummaryFile(join(dir, "qwen3_8b"));
  assert.equal(a.accuracy, truth(questions).accuracy);
  assert.equal(b.accuracy, 1);
  assert.equal((await readResults(join(dir, "qwen3_8b"))).length, 30);
  const comparison = JSON.parse(
    await Deno.readTextFile(join(dir, "comparison.json")),
  );
  assert.equal(comparison.pairs.length, 1);
  const pair = comparison.pairs[0];
  assert.equal(pair.a, "llama3.2");
  assert.equal(pair.b, "qwen3:8b");
  assert.equal(pair.result["n_common"], 30);
  assert.equal(
    pair.result.b,
    0,
    "llama3.2 is never right where qwen3 is wrong",
  );
  assert.equal(pair.result.c, truth(questions).wrong);
  assert.equal(typeof pair.result.mcnemar.statistic, "number");
  assert.match(r.stdout, /Comparison/);
  assert.match(r.stdout, /llama3\.2.*\n(.*\n)*.*qwen3:8b/);
  assert.match(r.stdout, /McNemar/);
  const unload = fake.requests.findIndex((x) =>
    x.body.model === "llama3.2" && x.body["keep_alive"] === 0 &&
    Array.isArray(x.body.messages) && x.body.messages.length === 0
  );
  const firstQwen = fake.requests.findIndex((x) => x.body.model === "qwen3:8b");
  assert.ok(unload !== -1, "keep_alive: 0 sent for the first model");
  assert.ok(unload < firstQwen, "unloaded before the second model starts");
});

Deno.test("llm-bench --fail-under fails the run below the threshold only", async (t) => {
  await using tmpDir = await tempDir();
  const tmp = tmpDir.path;
  const questions = await writeDataset(join(tmp, "data"), [
    "anatomy",
    "virology",
  ], 6);
  assert.equal(truth(questions).accuracy, 2 / 3);
  await using fake = await startFakeOllama({ reply: jsonReplies(questions) });
  await t.step("0.9: exit 1 naming model, accuracy and threshold", async () => {
    const run = await runAndRead(
      [join(tmp, "data"), "--fail-under", "0.9", ...quietFlags(fake.url)],
      join(tmp, "hi"),
      { code: 1 },
    );
    assert.match(
      run.stderr,
      /FAIL: llama3\.2(:latest)? accuracy 0\.6667 is below --fail-under 0\.9/,
    );
    assert.equal(run.summary.accuracy, 2 / 3, "the results are still written");
  });
  await t.step("0.5: exit 0", async () => {
    const run = await runAndRead(
      [join(tmp, "data"), "--fail-under", "0.5", ...quietFlags(fake.url)],
      join(tmp, "lo"),
    );
    assert.doesNotMatch(run.stderr, /FAIL/);
  });
});
