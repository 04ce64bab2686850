import { describe, it } from "node:test";
import assert from "node:assert/strict";
import { isSecretKey, redactCredentials, redactSecrets } from "../src/secrets.ts";

describe("isSecretKey", () => {
  it("matches secret-looking names in any case and separator style", () => {
    for (const name of [
      "password",
      "db_password",
      "PASSWD",
      "pwd",
      "apiKey",
      "api-key",
      "X-API-KEY",
      "access_token",
      "refreshToken",
      "Authorization",
      "cookie",
      "Set-Cookie",
      "client_secret",
      "privateKey",
      "aws_secret_access_key",
      "secret_key",
      "credentials",
      "passphrase",
    ]) {
      assert.equal(isSecretKey(name), true, name);
    }
  });

  it("leaves names that only look close, and tokens meant for the next call", () => {
    for (const name of [
      "user",
      "max_tokens",
      "tokens",
      "token_count",
      "tokenizer",
      "secretary_name",
      "next_page_token",
      "pageToken",
      "continuation_token",
      "session",
      "keyboard",
      "aws_access_key_id",
    ]) {
      assert.equal(isSecretKey(name), false, name);
    }
  });
});

describe("redactCredentials", () => {
  const cases: [string, string][] = [
    ["OpenAI", `sk-proj-${"Ab1".repeat(10)}`],
    ["Anthropic", `sk-ant-api03-${"x9Y".repeat(10)}`],
    ["Stripe", "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc"],
    ["Slack bot", "xoxb-1234567890-abcdefghij"],
    ["GitHub", `ghp_${"a".repeat(36)}`],
    ["GitHub fine-grained", `github_pat_${"B".repeat(40)}`],
    ["GitLab", `glpat-${"c".repeat(20)}`],
    ["AWS", "AKIAIOSFODNN7EXAMPLE"],
    ["Google", `AIza${"d".repeat(35)}`],
    ["JWT", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U"],
    ["private key", "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END RSA PRIVATE KEY-----"],
  ];
  for (const [kind, secret] of cases) {
    it(`masks a ${kind} credential inside other text`, () => {
      assert.equal(redactCredentials(`before ${secret} after`), "before [redacted] after");
    });
  }

  it("keeps the scheme of an Authorization value and the user of a URL", () => {
    assert.equal(redactCredentials("Authorization: Bearer abc.def-ghi_jkl0123"), "Authorization: Bearer [redacted]");
    assert.equal(redactCredentials("Basic dXNlcjpwYXNzd29yZDEyMw=="), "Basic [redacted]");
    assert.equal(redactCredentials("redis://default:hunter2@cache:6379/0"), "redis://default:[redacted]@cache:6379/0");
  });

  it("leaves ordinary text alone", () => {
    const text =
      "sk-learn is a library; task-1234 and 2f1b9c1e-7c1a-4c39-9a43-5b8ddc2f0e11 are ids; the Bearer of news; https://example.com/a:b@c is a path; AKIA is short";
    assert.equal(redactCredentials(text), text);
  });

  it("handles a megabyte of text and an unterminated private key block", () => {
    const text = `-----BEGIN PRIVATE KEY-----\n${"A".repeat(1 << 20)}`;
    assert.equal(redactCredentials(text), text, "no END line: nothing is a key block, nothing is cut");
  });
});

describe("redactSecrets", () => {
  it("masks secret keys at any depth and credentials in every string, leaving the rest", () => {
    const value = { user: "alex", nested: [{ apiKey: "plain-value", note: `key sk-${"z".repeat(24)}` }], password: null, count: 3 };
    assert.deepEqual(redactSecrets(value), {
      user: "alex",
      nested: [{ apiKey: "[redacted]", note: "key [redacted]" }],
      password: null,
      count: 3,
    });
  });

  it("returns data with nothing to mask unchanged, and keeps a __proto__ key a key", () => {
    const clean = { user: "alex", items: [1, "two", { three: 3 }] };
    assert.equal(redactSecrets(clean), clean);
    const hostile = JSON.parse('{"__proto__": {"token": "t0k"}, "ok": 1}');
    const masked = redactSecrets(hostile) as Record<string, unknown>;
    assert.deepEqual(Object.getOwnPropertyDescriptor(masked, "__proto__")?.value, { token: "[redacted]" });
    assert.equal(Object.getPrototypeOf(masked), Object.prototype);
  });
});
