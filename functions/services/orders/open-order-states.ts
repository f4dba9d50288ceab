/** An order in one of these states is still the agent's to carry out (queued, given, or under way). */
export const OPEN_ORDER_STATES = ["pending", "delivered", "acknowledged"] as const;
