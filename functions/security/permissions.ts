import type { Role } from "../db/schema/index.ts";

/**
 * What a route requires. Levels are ordered: each role holds every level up to its own.
 * - public: anyone, signed in or not
 * - authenticated: any signed-in principal (whoami, logout)
 * - read: everything but secrets
 * - operate: run jobs, label/load/eject tapes, restore
 * - admin: users, API keys, settings, agents
 */
export const PERMISSIONS = ["public", "authenticated", "read", "operate", "admin"] as const;
export type Permission = (typeof PERMISSIONS)[number];

const ROLE_LEVEL: Record<Role, Permission> = {
  "read-only": "read",
  operator: "operate",
  admin: "admin",
};

export function roleAllows(role: Role, permission: Permission): boolean {
  return PERMISSIONS.indexOf(ROLE_LEVEL[role]) >= PERMISSIONS.indexOf(permission);
}

/** The lesser of two roles, for an API key that may not exceed its owner. */
export function lesserRole(a: Role, b: Role): Role {
  return PERMISSIONS.indexOf(ROLE_LEVEL[a]) <= PERMISSIONS.indexOf(ROLE_LEVEL[b]) ? a : b;
}

/** True when `holder` has every right `other` has (an owner may mint keys up to its own role). */
export function roleCovers(holder: Role, other: Role): boolean {
  return roleAllows(holder, ROLE_LEVEL[other]);
}
