---- MODULE Swap ----
EXTENDS Integers, Sequences, TLC
(* --algorithm Swap
variables out = <<>>;
procedure swap(a, b)
begin
s1: out := out \o <<a, b>>;
    return;
end procedure;
procedure twice(a, b)
variables i = 0;
begin
t1: call swap(b, a);
t2: call swap(a, b);
t3: return;
end procedure;
process P \in 1..2
variables i = 5;
begin
p1: call twice(self, i);
p2: i := i + 1;
end process;
end algorithm; *)
\* BEGIN TRANSLATION
\* END TRANSLATION
====
