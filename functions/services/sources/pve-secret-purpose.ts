/** The AAD a Proxmox source's token secret is wrapped under, so it cannot be moved to another source. */
export const pveSecretPurpose = (sourceId: number) => `pve-token-secret:${sourceId}`;
