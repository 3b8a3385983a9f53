import { z } from 'zod';

export const routerConfigSchema = z
  .strictObject({
    /** Receivers for alerts whose rule names none. */
    default_receivers: z.array(z.string().min(1)).default(['console']),
  })
  .prefault({});

export type RouterConfig = z.output<typeof routerConfigSchema>;
