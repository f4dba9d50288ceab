export * from "./fleet.ts";
export * from "./identity.ts";
export * from "./jobs.ts";
export * from "./media.ts";
export * from "./notify.ts";
export * from "./proxmox.ts";
export * from "./sets.ts";
