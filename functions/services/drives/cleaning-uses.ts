/** An LTO Universal Cleaning Cartridge is good for about 50 cleanings (the vtl counts the same). */
export const DEFAULT_CLEANING_USES = 50;
