#!/usr/bin/env bash
# PrairieLearn's external grader runs this in your image, which has Rust and your copy
# of
# the grader in /grader (built once, as Gradescope's setup.sh does). The student's
# files are
# in /grade/student; PrairieLearn reads /grade/results/results.json.
set -uo pipefail
mkdir -p /grade/results
cd /grader
cargo xtask grade /grade/student --format prairielearn --out /tmp/grade
cp /tmp/grade/prairielearn/results.json /grade/results/results.json ||
    echo '{"gradable": false, "message": "The grader failed (not your fault)."}' \
        >/grade/results/results.json
