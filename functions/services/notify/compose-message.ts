import type { OutgoingMessage } from "../../deps.ts";
import { EVENT_KINDS, type EventKind } from "../events/event-kinds.ts";

/** Escapes text for HTML (mail) and for Telegram's HTML parse mode, which needs exactly these. */
export function escapeHtml(value: string): string {
  return value.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

export interface EventForMessage {
  id: number;
  kind: string;
  severity: string;
  at: Date;
  text: string;
  action: string | null;
  href: string | null;
}

const SEVERITY_WORD: Record<string, string> = {
  info: "Info",
  warning: "Warning",
  error: "Problem",
  critical: "Critical",
};

/**
 * One event as a message: a subject, plain text, HTML mail and Telegram HTML. Job and file
 * names are the operator's and may hold markup or Markdown: every value is escaped, and
 * Telegram gets HTML parse mode, in which `*`, `_` and backticks are plain characters.
 */
export function composeMessage(
  event: EventForMessage,
  options: { idempotencyKey: string; hubUrl?: string | null; possibleRepeat?: boolean },
): OutgoingMessage {
  const label = EVENT_KINDS[event.kind as EventKind]?.label ?? event.kind;
  const repeat = options.possibleRepeat ? " (may repeat: the hub stopped while sending this)" : "";
  const subject = `[TapeBackarr] ${SEVERITY_WORD[event.severity] ?? event.severity}: ${label}${repeat}`;
  const link = event.href && options.hubUrl ? `${options.hubUrl.replace(/\/$/, "")}${event.href}` : null;
  const lines = [
    event.text,
    event.action ? `Next: ${event.action}` : null,
    link,
    `At ${event.at.toISOString()}`,
  ];
  const text = lines.filter((l): l is string => !!l).join("\n\n");
  const body = event.text
    .split("\n")
    .map((l) => escapeHtml(l))
    .join("<br>");
  const html = [
    "<!doctype html><html><body>",
    `<h2>${escapeHtml(label)}</h2>`,
    `<p>${body}</p>`,
    event.action ? `<p><strong>Next:</strong> ${escapeHtml(event.action)}</p>` : "",
    link ? `<p><a href="${escapeHtml(link)}">${escapeHtml(link)}</a></p>` : "",
    `<p><small>${escapeHtml(event.at.toISOString())}${escapeHtml(repeat)}</small></p>`,
    "</body></html>",
  ].join("");
  const telegramHtml = [
    `<b>${escapeHtml(label)}</b>${escapeHtml(repeat)}`,
    escapeHtml(event.text.slice(0, 3500)),
    event.action ? `<i>Next:</i> ${escapeHtml(event.action)}` : null,
    link ? escapeHtml(link) : null,
  ]
    .filter((l): l is string => !!l)
    .join("\n\n");
  return { subject, text, html, telegramHtml, idempotencyKey: options.idempotencyKey };
}
