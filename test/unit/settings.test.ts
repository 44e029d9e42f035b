import { z } from 'zod';
import { defineSettings, SettingsError, type DefineSettingsOptions, type SettingProblem, type SettingsTable, type StandardSchema } from '../../src';

interface ShopConfig {
  readonly port: number;
  readonly region: string;
  readonly apiKey: string | undefined;
  readonly connectMs: number;
  readonly totalMs: number;
  readonly tags: readonly string[];
}

const numberText = z.string().trim().regex(/^\d+$/, { error: 'must be digits' }).transform(Number);

const SHOP: SettingsTable<ShopConfig> = {
  port: { name: 'SHOP_PORT', schema: z.number().int().min(1, { error: 'must be at least 1' }), fromText: numberText, default: 3000, meaning: 'port' },
  region: { name: 'SHOP_REGION', fallbacks: ['REGION', 'AWS_REGION'], schema: z.enum(['eu', 'us'], { error: 'must be eu or us' }), default: 'eu', meaning: 'region' },
  apiKey: { name: 'SHOP_API_KEY', schema: z.string().min(8, { error: 'must be at least 8 characters' }), default: undefined, secret: true, meaning: 'key' },
  connectMs: { name: 'SHOP_CONNECT_MS', schema: z.number().int(), fromText: numberText, default: 100, meaning: 'connect' },
  totalMs: { name: 'SHOP_TOTAL_MS', schema: z.number().int(), fromText: numberText, default: 1000, meaning: 'total' },
  tags: {
    name: 'SHOP_TAGS',
    schema: z.array(z.string().min(1, { error: 'must not be empty' })),
    fromText: z.string().transform((text) => text.split(',')),
    default: ['a', 'b'],
    shownDefault: 'a,b',
    meaning: 'tags',
  },
};

const connectWithinTotal: DefineSettingsOptions<ShopConfig>['check'] = (config) =>
  config.connectMs > config.totalMs ? [{ key: 'connectMs', message: 'must not exceed SHOP_TOTAL_MS' }] : [];

const shop = (strict: boolean) => defineSettings(SHOP, { subject: 'shop', strict, check: connectWithinTotal });

function thrown(load: () => unknown): SettingsError {
  try {
    load();
  } catch (error) {
    expect(error).toBeInstanceOf(SettingsError);
    return error as SettingsError;
  }
  throw new Error('expected a SettingsError');
}

const lines = (problems: readonly SettingProblem[]) => problems.map((p) => `${p.source} ${p.variable}=${String(p.value)}: ${p.message}`);

describe('defineSettings', () => {
  it('gives the defaults for an empty environment, and reads text and values given in code', () => {
    expect(shop(true).load({})).toEqual({ config: shop(true).defaults, problems: [] });
    const { config } = shop(true).load({ SHOP_PORT: ' 8080 ', SHOP_TAGS: 'x,y', SHOP_REGION: 'us' }, { region: 'eu', port: undefined });
    expect(config).toEqual({ port: 8080, region: 'eu', apiKey: undefined, connectMs: 100, totalMs: 1000, tags: ['x', 'y'] });
    expect(Object.isFrozen(config)).toBe(true);
  });

  it('reads the fallbacks in order when the variable is unset, the first valid one winning', () => {
    expect(shop(true).load({ AWS_REGION: 'us' }).config.region).toBe('us');
    expect(shop(true).load({ REGION: 'eu', AWS_REGION: 'us' }).config.region).toBe('eu');
    expect(shop(true).load({ SHOP_REGION: 'us', REGION: 'eu' }).config.region).toBe('us');
  });

  it('in strict mode throws with every problem at once, by variable and value', () => {
    const error = thrown(() => shop(true).load({ SHOP_PORT: 'eighty', SHOP_REGION: 'mars', SHOP_TAGS: 'a,,b' }, { totalMs: 1.5 }));
    expect(lines(error.problems)).toEqual([
      'environment SHOP_PORT=eighty: must be digits',
      'environment SHOP_REGION=mars: must be eu or us',
      expect.stringMatching(/^code options.totalMs=1.5: /),
      'environment SHOP_TAGS=a,,b: 1: must not be empty',
    ]);
    expect(error.message).toBe(
      [
        'shop configuration rejected:',
        '  SHOP_PORT="eighty": must be digits',
        '  SHOP_REGION="mars": must be eu or us',
        `  options.totalMs ${error.problems[2]?.message}, got 1.5`,
        '  SHOP_TAGS="a,,b": 1: must not be empty',
      ].join('\n'),
    );
  });

  it('out of strict mode reports a bad environment value and keeps the default', () => {
    const { config, problems } = shop(false).load({ SHOP_PORT: '0', SHOP_REGION: 'mars', AWS_REGION: 'us', SHOP_CONNECT_MS: '50' });
    expect(config).toMatchObject({ port: 3000, region: 'us', connectMs: 50 });
    expect(lines(problems)).toEqual(['environment SHOP_PORT=0: must be at least 1', 'environment SHOP_REGION=mars: must be eu or us']);
  });

  it('throws for a bad value given in code even out of strict mode, listing the environment problems too', () => {
    const error = thrown(() => shop(false).load({ SHOP_REGION: 'mars' }, { port: 0 }));
    expect(lines(error.problems)).toEqual(['code options.port=0: must be at least 1', 'environment SHOP_REGION=mars: must be eu or us']);
    expect(error.message).toContain('options.port must be at least 1, got 0');
  });

  it('takes an empty value as a value, not as unset', () => {
    expect(lines(shop(false).load({ SHOP_PORT: '' }).problems)).toEqual(['environment SHOP_PORT=: must be digits']);
  });

  it('never shows the value of a secret setting', () => {
    const error = thrown(() => shop(true).load({ SHOP_API_KEY: 'hunter2' }));
    expect(error.problems).toEqual([{ variable: 'SHOP_API_KEY', source: 'environment', value: '[redacted]', message: 'must be at least 8 characters' }]);
    expect(error.message).not.toContain('hunter2');
    expect(thrown(() => shop(false).load({}, { apiKey: 'hunter2' })).message).not.toContain('hunter2');
  });

  it('runs the rules across settings once every value passed its own, blaming the setting named', () => {
    expect(lines(thrown(() => shop(true).load({ SHOP_CONNECT_MS: '2000' })).problems)).toEqual([
      'environment SHOP_CONNECT_MS=2000: must not exceed SHOP_TOTAL_MS',
    ]);
    expect(lines(thrown(() => shop(true).load({ SHOP_CONNECT_MS: '2000', SHOP_PORT: 'x' })).problems)).toEqual(['environment SHOP_PORT=x: must be digits']);
    expect(thrown(() => shop(true).load({}, { connectMs: 5000 })).problems[0]?.variable).toBe('options.connectMs');
    const lenient = shop(false).load({ SHOP_CONNECT_MS: '2000' });
    expect(lenient.config.connectMs).toBe(100);
    expect(lenient.problems).toHaveLength(1);
  });

  it('lists every variable for the docs, fallbacks after their setting', () => {
    expect(shop(true).variables).toEqual([
      { name: 'SHOP_PORT', default: '3000', meaning: 'port' },
      { name: 'SHOP_REGION', default: '`REGION`, else `AWS_REGION`, else `eu`', meaning: 'region' },
      { name: 'REGION', default: 'unset', meaning: 'read for `SHOP_REGION` when that is unset or invalid' },
      { name: 'AWS_REGION', default: 'unset', meaning: 'read for `SHOP_REGION` when that is unset or invalid' },
      { name: 'SHOP_API_KEY', default: 'unset', meaning: 'key' },
      { name: 'SHOP_CONNECT_MS', default: '100', meaning: 'connect' },
      { name: 'SHOP_TOTAL_MS', default: '1000', meaning: 'total' },
      { name: 'SHOP_TAGS', default: 'a,b', meaning: 'tags' },
    ]);
  });

  it('accepts any Standard Schema, not only zod', () => {
    const evenNumber: StandardSchema<unknown, number> = {
      '~standard': {
        version: 1,
        vendor: 'by-hand',
        validate: (value) => (typeof value === 'number' && value % 2 === 0 ? { value } : { issues: [{ message: 'must be even' }] }),
      },
    };
    const settings = defineSettings<{ readonly n: number }>({ n: { name: 'N', schema: evenNumber, fromText: numberText, default: 2, meaning: 'n' } }, { subject: 'even' });
    expect(settings.load({ N: '4' }).config.n).toBe(4);
    expect(() => settings.load({ N: '3' })).toThrow('even configuration rejected:\n  N="3": must be even');
  });

  it('refuses, at definition, a table that contradicts itself', () => {
    const port = SHOP.port;
    expect(() => defineSettings<{ readonly a: number }>({ a: { ...port, default: 0 } }, { subject: 's' })).toThrow(
      'defineSettings (s): the default of a fails its schema: must be at least 1',
    );
    expect(() => defineSettings<{ readonly a: number; readonly b: number }>({ a: port, b: { ...port, fallbacks: ['SHOP_PORT'] } }, { subject: 's' })).toThrow(
      'defineSettings (s): SHOP_PORT is read by two settings',
    );
    expect(() => defineSettings<Pick<ShopConfig, 'tags'>>({ tags: { ...SHOP.tags, shownDefault: undefined } }, { subject: 's' })).toThrow(
      'defineSettings (s): tags needs a shownDefault, its default is not text',
    );
    expect(() => defineSettings(SHOP, { subject: 's', check: () => [{ key: 'port', message: 'is never right' }] })).toThrow(
      'defineSettings (s): the defaults break a rule: port is never right',
    );
  });

  it('refuses a schema that answers with a promise', () => {
    const later = z.string().refine(async () => true);
    const settings = defineSettings<{ readonly a: string | undefined }>({ a: { name: 'A', schema: later, default: undefined, meaning: 'a' } }, { subject: 's' });
    expect(() => settings.load({ A: 'x' })).toThrow(/answered with a promise/);
  });
});
