/**
 * The 12-factor guide's deploy bot: it knows the git tags before the model is first asked (they are
 * pre-fetched), deploys the backend to staging at once, waits for a person's approval before a
 * production deploy, can roll back, asks a person when unsure, and says when it is done — after a
 * production deploy only once production is healthy (its own control flow, after-deploy.ts).
 *
 * The git repository and the deploy target are small in-memory fakes: the systems on the far side of
 * the tool boundary. Swap them for real clients with the same shape.
 */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type Agent } from "agentfold";
import { afterDeploy, type Health } from "./after-deploy.ts";

/** One tag of the backend's repository. */
export interface GitTag {
  tag: string;
  commit: string;
  date: string;
  message: string;
}

/** Where tags come from: a git host in production, a fixed list here. */
export interface GitRepository {
  listTags(): GitTag[];
}

export type Environment = "staging" | "production";

/** One deploy or rollback as the target recorded it. */
export interface DeployRecord {
  environment: Environment;
  tag: string;
  kind: "deploy" | "rollback";
  idempotencyKey: string;
}

/** The deploy target: what runs where, and the calls it received. */
export interface DeployTarget {
  /** The tag running in each environment, `null` before the first deploy. */
  readonly running: Record<Environment, string | null>;
  /** Every deploy and rollback that took effect, oldest first. */
  readonly history: readonly DeployRecord[];
  /** Requests received, including duplicates and failures. */
  readonly requests: number;
  deploy(request: { tag: string; environment: Environment; idempotencyKey: string }): DeployRecord;
  rollback(request: { environment: Environment; idempotencyKey: string }): DeployRecord;
  /** Makes the next `count` deploys fail as a flaky deploy would. */
  failNextDeploys(count: number, message?: string): void;
  /** Whether an environment is healthy: it is unless the tag it runs was marked `unhealthy`. */
  health(environment: Environment): Health;
  /** Marks a tag unhealthy wherever it runs (a bad release), with what its health check reports. */
  markUnhealthy(tag: string, detail?: string): void;
}

/** The tags the fake repository holds: fixed, so every run of the examples sees the same list. */
export const sampleTags: readonly GitTag[] = Object.freeze([
  { tag: "v1.4.0", commit: "4be91d2", date: "2026-01-05T10:12:00Z", message: "Faster cold starts" },
  { tag: "v1.4.1", commit: "7c02af9", date: "2026-01-08T16:40:00Z", message: "Fix session expiry" },
  { tag: "v1.5.0", commit: "e13d5b0", date: "2026-01-12T09:03:00Z", message: "Bulk export API" },
]);

/**
 * A fake git repository with a fixed list of tags, newest first as `git tag --sort=-creatordate` lists them.
 *
 * @example
 * createGitRepository().listTags()[0]?.tag; // "v1.5.0"
 */
export function createGitRepository(tags: readonly GitTag[] = sampleTags): GitRepository {
  return { listTags: () => [...tags].reverse().map((tag) => ({ ...tag })) };
}

/**
 * A fake deploy target. It refuses tags the repository does not have, can be told to fail the next
 * deploys, and ignores a repeated idempotency key (a retried request takes effect once).
 *
 * @example
 * const target = createDeployTarget(createGitRepository(), { running: { production: "v1.4.1" } });
 * target.deploy({ tag: "v1.5.0", environment: "staging", idempotencyKey: "k1" });
 * target.running.staging; // "v1.5.0"
 */
export function createDeployTarget(
  repository: GitRepository,
  options: { running?: Partial<Record<Environment, string>> } = {},
): DeployTarget {
  const running: Record<Environment, string | null> = {
    staging: options.running?.staging ?? null,
    production: options.running?.production ?? null,
  };
  // Each environment's tags in the order they went live, so a rollback knows what came before.
  const lineage: Record<Environment, string[]> = {
    staging: running.staging ? [running.staging] : [],
    production: running.production ? [running.production] : [],
  };
  const history: DeployRecord[] = [];
  let requests = 0;
  let failures: { count: number; message: string } = { count: 0, message: "" };
  const unhealthy = new Map<string, string>();

  const previous = (key: string) => history.find((record) => record.idempotencyKey === key);

  return {
    running,
    history,
    get requests() {
      return requests;
    },
    deploy({ tag, environment, idempotencyKey }) {
      requests += 1;
      const done = previous(idempotencyKey);
      if (done) return done;
      const known = repository.listTags().map((candidate) => candidate.tag);
      if (!known.includes(tag)) {
        throw new Error(`Tag "${tag}" does not exist. Known tags: ${known.join(", ")}.`);
      }
      if (failures.count > 0) {
        failures.count -= 1;
        throw new Error(failures.message);
      }
      running[environment] = tag;
      lineage[environment].push(tag);
      const record: DeployRecord = { environment, tag, kind: "deploy", idempotencyKey };
      history.push(record);
      return record;
    },
    rollback({ environment, idempotencyKey }) {
      requests += 1;
      const done = previous(idempotencyKey);
      if (done) return done;
      const tags = lineage[environment];
      if (tags.length < 2) throw new Error(`Nothing to roll back to in ${environment}: it has had ${tags.length} deploys.`);
      tags.pop();
      const tag = tags[tags.length - 1]!;
      running[environment] = tag;
      const record: DeployRecord = { environment, tag, kind: "rollback", idempotencyKey };
      history.push(record);
      return record;
    },
    failNextDeploys(count, message = "Deploy failed: health check timed out after 60s (the new pods never became ready).") {
      failures = { count, message };
    },
    health(environment) {
      const tag = running[environment];
      const problem = tag === null ? undefined : unhealthy.get(tag);
      return { environment, tag, healthy: problem === undefined, detail: problem ?? "all checks pass." };
    },
    markUnhealthy(tag, detail = "error rate 12% (limit 1%) since the deploy.") {
      unhealthy.set(tag, detail);
    },
  };
}

const environment = z.enum(["staging", "production"]).describe("Where to deploy");

/** The systems deploybot talks to. */
export interface DeploybotSystems {
  repository: GitRepository;
  target: DeployTarget;
}

/**
 * Builds a deploybot over the given systems (tests pass fresh fakes and inspect them afterwards).
 *
 * @example
 * const repository = createGitRepository();
 * const target = createDeployTarget(repository);
 * const bot = createDeploybot({ repository, target });
 * let thread = await bot.run(bot.start("deploy v1.5.0 to staging"), { model });
 * target.running.staging; // "v1.5.0"
 */
export function createDeploybot({ repository, target }: DeploybotSystems): Agent {
  const listGitTags = defineTool({
    intent: "list_git_tags",
    description: "list the backend's git tags, newest first",
    args: z.object({}),
    idempotent: true,
    run: () => repository.listTags(),
  });

  const deployBackend = defineTool({
    intent: "deploy_backend",
    description: "deploy a tag of the backend to staging or production",
    args: z.object({ tag: z.string().min(1).describe("A git tag, e.g. v1.5.0"), environment }),
    // Staging is for trying things: it deploys at once. Production waits for a person.
    approval: (args) => args.environment === "production",
    // The target ignores a repeated idempotency key, so re-running after a crash is safe.
    idempotent: true,
    // The model needs the outcome, not the target's bookkeeping (keys, record kinds).
    run: ({ tag, environment }, { idempotencyKey }) => {
      const record = target.deploy({ tag, environment, idempotencyKey });
      return { deployed: record.tag, environment: record.environment };
    },
  });

  const rollbackBackend = defineTool({
    intent: "rollback_backend",
    description: "roll an environment back to the tag it ran before the last deploy",
    args: z.object({ environment }),
    // A rollback returns to a version that already ran there: the quick way out of an incident.
    idempotent: true,
    run: ({ environment }, { idempotencyKey }) => {
      const record = target.rollback({ environment, idempotencyKey });
      return { rolled_back_to: record.tag, environment: record.environment };
    },
  });

  const checkHealth = defineTool({
    intent: "check_health",
    description: "check whether an environment is healthy",
    args: z.object({ environment }),
    // Reading health changes nothing: safe to repeat, which a check chosen by code must be.
    idempotent: true,
    run: ({ environment }) => target.health(environment),
  });

  return defineAgent({
    name: "deploybot",
    description: "a bot that deploys the backend",
    instructions: [
      "Deploy only tags listed in list_git_tags_result. Deploy to staging before production unless told otherwise.",
      "If a deploy fails, read the error and correct yourself; ask a person when the request is ambiguous.",
    ].join("\n"),
    tools: [listGitTags, deployBackend, rollbackBackend, checkHealth, askHuman(), doneForNow()],
    // The model nearly always needs the tags first: fetch them before its first call (factor 13).
    prefetch: [listGitTags],
    // limits are left at their defaults: 20 model calls per input, escalate after 3 errors in a row.
    // Done after a production deploy only once a health check passes: see after-deploy.ts.
    plan: afterDeploy,
  });
}

const repository = createGitRepository();

/** The deploy target behind the exported `deploybot`. */
export const deployTarget = createDeployTarget(repository, { running: { staging: "v1.4.1", production: "v1.4.1" } });

/**
 * The deploy bot over the sample repository and an in-memory deploy target.
 *
 * @example
 * let thread = deploybot.start("ship v1.5.0 to production");
 * thread = await deploybot.run(thread, { model });
 * thread.status; // "awaiting_approval"
 */
export const deploybot: Agent = createDeploybot({ repository, target: deployTarget });

export default deploybot;
