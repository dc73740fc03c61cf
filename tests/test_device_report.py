"""bin/device_report: the one command a user with a GPU runs; here its dry run (the steps it
would run and the machine lines), since its steps are the suite's own tests, recording and bench."""
import os


def test_dry_run_lists_the_machine_and_the_three_steps(entry_points, tmp_path):
  out = tmp_path / 'report'
  done = entry_points.run('device_report', ['--dry_run', f'--out={out}'])
  assert done.returncode == 0, done.stderr[-3000:]
  text = (out / 'report.md').read_text()
  assert text.startswith('# graphgan device report\n')
  assert '- graphgan device kind: ' in text and 'tensorflow 2.21' in text
  assert f'`python bin/record_losses --all --out={out}/recorded`' in text
  assert f'`GRAPHGAN_RECORDED_DIR={out}/recorded python -m pytest' in text
  assert 'tests/test_cross_device.py' in text and '`python bin/bench --model=wgan' in text
  assert done.stdout.endswith(f'written to {os.path.join(out, "report.md")}\n')


def test_an_out_path_under_a_file_is_one_line(entry_points, tmp_path):
  (tmp_path / 'file').write_text('')
  done = entry_points.run('device_report', ['--dry_run', f'--out={tmp_path}/file/report'])
  assert done.returncode == 2
  assert done.stderr.strip().splitlines()[-1].startswith('device_report: error: --out=')
