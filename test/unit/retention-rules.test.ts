// Retention rules on a clock the test controls: what each rule deletes, how they combine, what
// exempt tags and the cooling period protect.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { imagesToDelete, inEffect, invalidRules, RETAIN_ALL, type ImageFacts, type RetentionRules } from "../../src/lifecycle/retention-rules.js";

const DAY = 24 * 60 * 60 * 1000;
const NOW = Date.UTC(2026, 11, 6);
const daysAgo = (n: number) => NOW - n * DAY;

function image(digest: string, facts: Partial<ImageFacts> = {}): ImageFacts {
  return { digest, tags: [], pushedAt: daysAgo(100), lastPulledAt: null, untaggedSince: null, ...facts };
}
const rules = (r: Partial<RetentionRules>): RetentionRules => ({ ...RETAIN_ALL, ...r });
const deleted = (images: ImageFacts[], r: Partial<RetentionRules>) => imagesToDelete(images, rules(r), NOW).map((d) => d.digest);

describe("retention rules", () => {
  it("the global default retains everything", () => {
    assert.deepEqual(deleted([image("a"), image("b", { tags: ["x"] })], {}), []);
  });

  it("not pulled for N days counts from the last pull, or from the push when never pulled", () => {
    const images = [
      image("pulled-long-ago", { tags: ["v1"], lastPulledAt: daysAgo(31) }),
      image("pulled-lately", { tags: ["v2"], lastPulledAt: daysAgo(29) }),
      image("pushed-lately-never-pulled", { tags: ["v3"], pushedAt: daysAgo(2) }),
      image("pushed-long-ago-never-pulled", { tags: ["v4"], pushedAt: daysAgo(40) }),
    ];
    assert.deepEqual(deleted(images, { notPulledForDays: 30 }).sort(), ["pulled-long-ago", "pushed-long-ago-never-pulled"]);
  });

  it("untagged for N days counts from when the last tag went; tagged images are never untagged", () => {
    const images = [
      image("untagged-long", { untaggedSince: daysAgo(31) }),
      image("untagged-lately", { untaggedSince: daysAgo(1) }),
      image("pushed-by-digest-long-ago", { pushedAt: daysAgo(31) }),
      image("tagged", { tags: ["latest"], pushedAt: daysAgo(365) }),
    ];
    assert.deepEqual(deleted(images, { untaggedForDays: 30 }).sort(), ["pushed-by-digest-long-ago", "untagged-long"]);
  });

  it("keep the newest K deletes every older image; rules combine with or, each reason named", () => {
    const images = [1, 2, 3, 4].map((n) => image(`i${n}`, { tags: [`v${n}`], pushedAt: daysAgo(10 - n), lastPulledAt: n === 1 ? daysAgo(60) : daysAgo(1) }));
    assert.deepEqual(deleted(images, { keepNewest: 2 }), ["i2", "i1"]);
    const both = imagesToDelete(images, rules({ keepNewest: 3, notPulledForDays: 30 }), NOW);
    assert.deepEqual(both, [{ digest: "i1", tags: ["v1"], reasons: ["not-pulled", "beyond-newest"] }]);
  });

  it("an exempt tag (with * globs) protects its image from every rule", () => {
    const old = { pushedAt: daysAgo(400), lastPulledAt: daysAgo(400) };
    const images = [image("prod", { ...old, tags: ["release-1.2"] }), image("dev", { ...old, tags: ["dev-7"] }), image("plain", { ...old, tags: ["x"] })];
    assert.deepEqual(deleted(images, { notPulledForDays: 1, keepNewest: 1, exemptTags: ["release-*", "*prod*"] }).sort(), ["dev", "plain"]);
  });

  it("a changed policy waits out the cooling period", () => {
    assert.equal(inEffect(NOW - DAY + 1, DAY, NOW), false);
    assert.equal(inEffect(NOW - DAY, DAY, NOW), true);
  });

  it("rules that cannot be saved say why", () => {
    assert.equal(invalidRules(rules({ notPulledForDays: 30, exemptTags: ["latest", "release-*"] })), undefined);
    assert.match(invalidRules(rules({ untaggedForDays: 0 }))!, /untaggedForDays must be a whole number/);
    assert.match(invalidRules(rules({ keepNewest: 1.5 }))!, /keepNewest/);
    assert.match(invalidRules(rules({ exemptTags: ["a b"] }))!, /exempt tag "a b"/);
  });
});
