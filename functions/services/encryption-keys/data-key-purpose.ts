/** The AAD a data key is wrapped under, so a wrapped key cannot be swapped for another row's. */
export const dataKeyPurpose = (fingerprint: string) => `tapebackarr-data-key:${fingerprint}`;
