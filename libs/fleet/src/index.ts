export const fl = 1;
