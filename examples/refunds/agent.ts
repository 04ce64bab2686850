/**
 * A refunds agent: it looks orders up, refunds small amounts at once, and waits for a manager's
 * approval above a threshold. Refunds carry the call's idempotency key to the payments ledger, so a
 * refund retried after a crash is recorded once.
 *
 * The order book and the payments ledger are small in-memory fakes: the systems on the far side of
 * the tool boundary. Swap them for real clients with the same shape.
 */
import { z } from "zod";
import { askHuman, defineAgent, defineTool, doneForNow, type Agent } from "agentfold";

/** Refunds above this many dollars need a manager's approval. */
export const REFUND_APPROVAL_THRESHOLD = 100;

export interface Order {
  orderId: string;
  customer: string;
  /** Total paid, in dollars. */
  total: number;
  items: string[];
  placedAt: string;
}

/** Where orders come from: a shop's database in production, a fixed map here. */
export interface OrderBook {
  lookup(orderId: string): Order | undefined;
}

export interface RefundRecord {
  refundId: string;
  orderId: string;
  amount: number;
  reason: string;
  idempotencyKey: string;
}

/** The payments ledger: records refunds, ignoring a repeated idempotency key. */
export interface PaymentsLedger {
  /** Refunds that took effect, oldest first. */
  readonly refunds: readonly RefundRecord[];
  /** Requests received, duplicates included. */
  readonly requests: number;
  refund(request: Omit<RefundRecord, "refundId">): RefundRecord;
  /** Dollars refunded so far on an order. */
  refunded(orderId: string): number;
}

/** The orders of the fake order book. */
export const sampleOrders: readonly Order[] = Object.freeze([
  { orderId: "A-1001", customer: "terri@example.com", total: 42.5, items: ["desk lamp"], placedAt: "2026-01-03T14:20:00Z" },
  { orderId: "A-1002", customer: "jo@example.com", total: 750, items: ["standing desk"], placedAt: "2026-01-07T09:05:00Z" },
  { orderId: "A-1003", customer: "sam@example.com", total: 129.99, items: ["office chair", "chair mat"], placedAt: "2026-01-09T17:45:00Z" },
]);

/**
 * A fake order book over a fixed list of orders.
 *
 * @example
 * createOrderBook().lookup("A-1001")?.total; // 42.5
 */
export function createOrderBook(orders: readonly Order[] = sampleOrders): OrderBook {
  const byId = new Map(orders.map((order) => [order.orderId, order]));
  return {
    lookup: (orderId) => {
      const order = byId.get(orderId);
      return order ? { ...order, items: [...order.items] } : undefined;
    },
  };
}

/**
 * A fake payments ledger. A request with an idempotency key it has seen returns the earlier refund
 * and records nothing new, as payment providers do.
 *
 * @example
 * const ledger = createPaymentsLedger();
 * ledger.refund({ orderId: "A-1001", amount: 10, reason: "late", idempotencyKey: "k1" });
 * ledger.refund({ orderId: "A-1001", amount: 10, reason: "late", idempotencyKey: "k1" });
 * ledger.refunds.length; // 1
 */
export function createPaymentsLedger(): PaymentsLedger {
  const refunds: RefundRecord[] = [];
  let requests = 0;
  return {
    refunds,
    get requests() {
      return requests;
    },
    refund(request) {
      requests += 1;
      const earlier = refunds.find((record) => record.idempotencyKey === request.idempotencyKey);
      if (earlier) return earlier;
      const record: RefundRecord = { refundId: `rf_${refunds.length + 1}`, ...request };
      refunds.push(record);
      return record;
    },
    refunded(orderId) {
      return refunds.filter((record) => record.orderId === orderId).reduce((sum, record) => sum + record.amount, 0);
    },
  };
}

/** The systems the refunds agent talks to. */
export interface RefundsSystems {
  orders: OrderBook;
  ledger: PaymentsLedger;
  /** Default: `REFUND_APPROVAL_THRESHOLD`. */
  approvalThreshold?: number;
}

/**
 * Builds a refunds agent over the given systems (tests pass fresh fakes and inspect them afterwards).
 *
 * @example
 * const ledger = createPaymentsLedger();
 * const agent = createRefundsAgent({ orders: createOrderBook(), ledger });
 * let thread = await agent.run(agent.start("refund $20 on A-1001, it arrived late"), { model });
 * ledger.refunds.length; // 1
 */
export function createRefundsAgent({ orders, ledger, approvalThreshold = REFUND_APPROVAL_THRESHOLD }: RefundsSystems): Agent {
  const findOrder = (orderId: string): Order => {
    const order = orders.lookup(orderId);
    if (!order) throw new Error(`No order "${orderId}". Order ids look like A-1001; ask the customer to check theirs.`);
    return order;
  };

  const lookupOrder = defineTool({
    intent: "lookup_order",
    description: "look up an order: customer, total paid, items, and how much was already refunded",
    args: z.object({ orderId: z.string().min(1) }),
    idempotent: true,
    run: ({ orderId }) => ({ ...findOrder(orderId), refunded: ledger.refunded(orderId) }),
  });

  const processRefund = defineTool({
    intent: "process_refund",
    description: `refund part or all of an order; refunds above $${approvalThreshold} wait for a manager's approval`,
    args: z.object({
      orderId: z.string().min(1),
      amount: z.number().positive().describe("Dollars to refund"),
      reason: z.string().min(1).describe("Why, in a sentence the customer could read"),
    }),
    approval: ({ amount }) => amount > approvalThreshold,
    // The ledger ignores a repeated idempotency key, so re-running after a crash refunds once.
    idempotent: true,
    run: ({ orderId, amount, reason }, { idempotencyKey }) => {
      const order = findOrder(orderId);
      const left = Math.round((order.total - ledger.refunded(orderId)) * 100) / 100;
      if (amount > left && !ledger.refunds.some((record) => record.idempotencyKey === idempotencyKey)) {
        throw new Error(`Cannot refund $${amount} on ${orderId}: only $${left} of $${order.total} is left to refund.`);
      }
      return ledger.refund({ orderId, amount, reason, idempotencyKey });
    },
  });

  return defineAgent({
    name: "refunds",
    description: "a support agent that handles refund requests",
    instructions: [
      "Look the order up before refunding. Never refund more than is left on the order.",
      "If a manager rejects a refund, read their comment and follow it.",
    ].join("\n"),
    tools: [lookupOrder, processRefund, askHuman(), doneForNow()],
  });
}

/** The payments ledger behind the exported `refunds` agent. */
export const paymentsLedger = createPaymentsLedger();

/**
 * The refunds agent over the sample orders and an in-memory ledger.
 *
 * @example
 * let thread = refunds.start("please refund order A-1002 in full");
 * thread = await refunds.run(thread, { model });
 * thread.status; // "awaiting_approval": $750 is above the threshold
 */
export const refunds: Agent = createRefundsAgent({ orders: createOrderBook(), ledger: paymentsLedger });

export default refunds;
