#!/usr/bin/env node
/* Build the designer's BPMN editor bundle with esbuild (run by bin/setup after npm ci):
 *
 *   api/static/js/designer/src/index.js  ->  api/static/js/designer/dist/designer.bundle.js
 *                                            api/static/js/designer/dist/designer.bundle.css
 *
 * The bundle holds bpmn-js's modeler, bpmn-js-properties-panel with our provider of the
 * SpiffWorkflow properties, bpmn-js-bpmnlint with the rules of .bpmnlintrc (compiled here
 * into the virtual module "cppcc:bpmnlint-config"), and the Chinese translations. dist/ is
 * not committed: it is made from package-lock.json and the sources on every machine.
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { readFileSync } from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const esbuild = require('esbuild');
const compileConfig = require('bpmnlint/lib/support/compile-config');
const NodeResolver = require('bpmnlint/lib/resolver/node-resolver');
const DESIGNER = path.join(ROOT, 'api', 'static', 'js', 'designer');

const bpmnlintConfig = {
  name: 'cppcc-bpmnlint-config',
  setup(build) {
    build.onResolve({ filter: /^cppcc:bpmnlint-config$/ }, (args) => ({ path: args.path, namespace: 'cppcc' }));
    build.onLoad({ filter: /.*/, namespace: 'cppcc' }, async () => {
      const rc = JSON.parse(readFileSync(path.join(ROOT, '.bpmnlintrc'), 'utf8'));
      const contents = await compileConfig(rc, new NodeResolver({ require }));
      return { contents, loader: 'js', resolveDir: ROOT, watchFiles: [path.join(ROOT, '.bpmnlintrc')] };
    });
  }
};

const started = Date.now();
const result = await esbuild.build({
  absWorkingDir: ROOT,
  entryPoints: { 'designer.bundle': path.join(DESIGNER, 'src', 'index.js') },
  outdir: path.join(DESIGNER, 'dist'),
  bundle: true,
  format: 'iife',
  platform: 'browser',
  target: ['es2020'],
  minify: true,
  legalComments: 'eof',
  define: { 'process.env.NODE_ENV': '"production"' },
  plugins: [bpmnlintConfig],
  metafile: true,
  logLevel: 'warning'
});
const sizes = Object.entries(result.metafile.outputs)
  .map(([file, out]) => `${path.relative(ROOT, file)} ${(out.bytes / 1024).toFixed(0)} KB`);
console.log(`流程设计编辑器已构建（${Date.now() - started} ms）：${sizes.join('，')}`);
