export const es = 1;
