import { existsSync } from 'node:fs';
import path from 'node:path';
import { SECTION_PAGES } from '../../scripts/docPages';
import { anchorsOf, codeBlocks, documentationPages, headings, linksOf, readPage, ROOT, slugOf } from '../support/markdownPages';

const pages = documentationPages();
const texts = new Map(pages.map((page) => [page, readPage(page)]));
const text = (page: string): string => texts.get(page) ?? readPage(page);

/** `target` of a link on `page`, as a path from the repository root and a fragment. */
function resolve(page: string, target: string): { file: string; fragment: string | undefined } {
  const [file = '', fragment] = target.split('#');
  return { file: file === '' ? page : path.posix.normalize(path.posix.join(path.posix.dirname(page), file)), fragment };
}

const isExternal = (target: string): boolean => /^[a-z][a-z0-9+.-]*:/i.test(target);

describe('the documentation pages', () => {
  it('link only to files and anchors that exist', () => {
    const broken: string[] = [];
    for (const page of pages) {
      for (const { target, line } of linksOf(text(page))) {
        if (isExternal(target)) continue;
        const { file, fragment } = resolve(page, target);
        if (!existsSync(path.join(ROOT, file))) {
          broken.push(`${page}:${line}: ${target} (no ${file})`);
        } else if (fragment !== undefined && file.endsWith('.md') && !file.startsWith('docs/api/') && !anchorsOf(text(file)).has(fragment)) {
          broken.push(`${page}:${line}: ${target} (${file} has no anchor #${fragment})`);
        }
      }
    }
    expect(broken).toEqual([]);
  });

  it('each start with a table of contents linking every section of the page', () => {
    const missing: string[] = [];
    for (const page of pages) {
      const body = text(page);
      const sections = headings(body).filter((heading) => heading.level === 2);
      const firstSection = body.search(/^## /m);
      const contents = new Set(linksOf(firstSection === -1 ? body : body.slice(0, firstSection)).map((link) => link.target));
      for (const section of sections) if (!contents.has(`#${section.anchor}`)) missing.push(`${page}: ## ${section.title}`);
      if (!body.startsWith('# ')) missing.push(`${page}: no title on its first line`);
    }
    expect(missing).toEqual([]);
  });

  it('are all reachable from the README', () => {
    const reached = new Set(['README.md']);
    const queue = ['README.md'];
    for (let page = queue.shift(); page !== undefined; page = queue.shift()) {
      for (const { target } of linksOf(text(page))) {
        if (isExternal(target)) continue;
        const { file } = resolve(page, target);
        if (pages.includes(file) && !reached.has(file)) {
          reached.add(file);
          queue.push(file);
        }
      }
    }
    expect(pages.filter((page) => !reached.has(page))).toEqual([]);
  });

  it("are each linked from the README's map", () => {
    const linked = new Set(linksOf(text('README.md')).map((link) => resolve('README.md', link.target).file));
    expect(pages.filter((page) => page !== 'README.md' && !linked.has(page))).toEqual([]);
    expect(linked.has('docs/api/index.md')).toBe(true);
  });

  it("keep the README's old section anchors, each next to a link to where the section went", () => {
    const readme = text('README.md');
    const lines = readme.split('\n');
    const problems: string[] = [];
    for (const [anchor, target] of Object.entries(SECTION_PAGES)) {
      const line = lines.find((l) => l.includes(`<a name="${anchor}"></a>`));
      const [file = ''] = target.split('#');
      if (line === undefined) problems.push(`#${anchor}: no anchor`);
      else if (!linksOf(line).some((link) => resolve('README.md', link.target).file === file)) problems.push(`#${anchor}: its line does not link to ${file}`);
      if (!existsSync(path.join(ROOT, file))) problems.push(`#${anchor}: ${file} does not exist`);
    }
    expect(problems).toEqual([]);
  });

  it('name their headings the way GitHub anchors them', () => {
    expect(slugOf('Measured (2026-11-22, 2 cores, shared)')).toBe('measured-2026-11-22-2-cores-shared');
    expect(slugOf("sightline's own lines")).toBe('sightlines-own-lines');
    expect(slugOf('`sightline` or `sightline/core`')).toBe('sightline-or-sightlinecore');
    expect(slugOf('GET /metrics')).toBe('get-metrics');
    const sample = '# T\n\n## A\n\n```sh\n## not a heading\n```\n\n## A\n\n<a name="old"></a>\n';
    expect([...anchorsOf(sample)].sort()).toEqual(['a', 'a-1', 'old', 't']);
    expect(codeBlocks(sample).map((block) => block.lang)).toEqual(['sh']);
  });
});
