/**
 * `npm run simulate [-- --config path.json]`: the whole model lifecycle offline, on the
 * synthesized app and real data. See README "Try it offline".
 */
import './quiet';
import '../../offline/polyfills';
import { ML_PYTHON_INSTALL, mlPythonProblem } from '../../offline/python';
import { playStory } from './story';

/** `--config path` or, as with the CDK CLI, `-c config=path`. */
function configFile(argv: string[]): string | undefined {
  const i = argv.indexOf('--config');
  if (i >= 0) return argv[i + 1];
  const c = argv.findIndex((a, j) => a === '-c' && argv[j + 1]?.startsWith('config='));
  return c >= 0 ? argv[c + 1]!.slice('config='.length) : undefined;
}

const missing = mlPythonProblem();
if (missing) {
  console.error(`simulate: the SageMaker jobs run ml/*.py locally, but ${missing}. Install: ${ML_PYTHON_INSTALL} (or see README "Testing" for a virtualenv)`);
  process.exit(1);
}

playStory({ configFile: configFile(process.argv.slice(2)), print: (line) => console.log(line) }).catch((e) => {
  console.error(process.env.DEBUG ? e : `simulate: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
