#!/usr/bin/env bash
# Terminal capture of `nabla train` in tmux (120×30): the progress bar during a long epoch, Ctrl-C, and the printed resume line.
set -u
# usage: progress-bar-and-resume.sh OUT.txt path/to/Nabla.Cli.dll
out=$1; cli=$2; work=$(mktemp -d)
tmux kill-session -t nabla-capture 2>/dev/null
tmux new-session -d -s nabla-capture -x 120 -y 30 -c "$work"
tmux send-keys -t nabla-capture "export PS1='$ '; nabla() { dotnet $cli \"\$@\"; }; clear" Enter; sleep 1
tmux send-keys -t nabla-capture "nabla train --layers 784,500,200,10 --batch 128 --epochs 3 --out big.safetensors" Enter
: > "$out"; n=0
for t in $(seq 1 120); do
  sleep 0.5
  if tmux capture-pane -p -t nabla-capture | grep -q "^Epoch 1 \["; then
    n=$((n + 1)); { echo "=== frame $n of epoch 1, $(date +%T)"; tmux capture-pane -p -t nabla-capture | sed '/^$/d'; } >> "$out"
    [ $n -ge 3 ] && break; sleep 1
  fi
done
tmux send-keys -t nabla-capture C-c; sleep 4
{ echo "=== Ctrl-C"; tmux capture-pane -p -t nabla-capture | sed '/^$/d'; } >> "$out"
line=$(tmux capture-pane -p -J -t nabla-capture | grep -o "Resume with: nabla .*" | sed 's/Resume with: //')
tmux send-keys -t nabla-capture "clear; $line" Enter
for t in $(seq 1 120); do
  sleep 1
  tmux capture-pane -p -t nabla-capture | grep -q "^Saved" && break
  [ "$t" = 3 ] && { echo "=== the printed resume line, run as printed"; tmux capture-pane -p -t nabla-capture | sed '/^$/d'; } >> "$out"
done
{ echo "=== the printed resume line, at the end"; tmux capture-pane -p -t nabla-capture | sed '/^$/d'; } >> "$out"
tmux kill-session -t nabla-capture; rm -rf "$work"
