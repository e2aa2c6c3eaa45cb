#!/usr/bin/env node
/* The deploy-time lint: the same bpmnlint rules as the designer's editor (.bpmnlintrc at
 * the repository root, with bpmnlint-plugin-cppcc), run by engine/definitions/lint.py.
 *
 * stdin:  {"files": {"handling.bpmn": "<xml>", ...}, "settings": {"cppcc/user-task-role-form": {...}}}
 * stdout: {"reports": [{"file", "element", "rule", "category", "message", "restates"}], "unparsed": [file, ...]}
 *         category is error | warn | info | rule-error; message is Chinese where the rule's is known;
 *         restates: the rule restates a check of the engine (the plugin's `restating`).
 * A file that is not well-formed XML is listed in "unparsed" (the engine reports why).
 * Exit 0 after a lint (whatever it found); 2 on bad input or a broken set-up.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const { Linter } = require('bpmnlint');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const { BpmnModdle } = await import(require.resolve('bpmn-moddle'));
const { restore } = require('bpmnlint-plugin-cppcc/name-refs');
const { configure } = require('bpmnlint-plugin-cppcc/configure');
const { chinese } = require('bpmnlint-plugin-cppcc/messages');
const { restating } = require('bpmnlint-plugin-cppcc');

const SPIFF = JSON.parse(readFileSync(path.join(ROOT, 'api', 'static', 'js', 'designer', 'spiffworkflow.json'), 'utf8'));
const RC = JSON.parse(readFileSync(path.join(ROOT, '.bpmnlintrc'), 'utf8'));

function readStdin() {
  return new Promise((resolve, reject) => {
    const chunks = [];
    process.stdin.on('data', (c) => chunks.push(c));
    process.stdin.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    process.stdin.on('error', reject);
  });
}

async function main() {
  const input = JSON.parse(await readStdin());
  const files = input && input.files;
  if (!files || typeof files !== 'object') throw new Error('expected {"files": {...}}');
  const resolver = new NodeResolver({ require });
  const rules = configure(await new Linter({ resolver }).resolveConfiguredRules(RC), input.settings || {});
  const reports = [];
  const unparsed = [];
  for (const [file, xml] of Object.entries(files)) {
    let root;
    try {
      const moddle = new BpmnModdle({ spiffworkflow: SPIFF });
      const parsed = await moddle.fromXML(String(xml));
      restore(parsed.warnings, moddle);
      root = parsed.rootElement;
    } catch (err) {
      unparsed.push(file);
      continue;
    }
    const found = await new Linter({ resolver, config: { rules } }).lint(root);
    for (const [rule, list] of Object.entries(found)) {
      for (const r of list) {
        reports.push({ file, element: r.id || null, rule, category: r.category,
                       message: chinese(r.message) || r.message, restates: restating.includes(rule) });
      }
    }
  }
  process.stdout.write(JSON.stringify({ reports, unparsed }));
}

main().catch((err) => {
  process.stderr.write(String(err && err.stack || err) + '\n');
  process.exit(2);
});
