---- MODULE Factorial ----
EXTENDS Integers, Sequences, TLC
CONSTANT N
(* --algorithm Factorial
variables results = [p \in {1, 2} |-> 0];
procedure fact(n, acc)
variables k = 0;
begin
f1: if n <= 1 then
        results[self] := acc;
        return;
    else
        call fact(n - 1, acc * n);
    end if;
f2: k := k + 1;
f3: return;
end procedure;
process worker \in {1, 2}
begin
w1: call fact(N + self - 1, 1);
w2: skip;
end process;
end algorithm; *)
\* BEGIN TRANSLATION
\* END TRANSLATION
====
