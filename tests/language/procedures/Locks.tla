---- MODULE Locks ----
EXTENDS Integers, Sequences, TLC
(* --algorithm Locks
variables lock = 0, count = 0;
procedure acquire()
begin
a1: await lock = 0;
    lock := self;
a2: return;
end procedure;
procedure release()
begin
r1: lock := 0;
    return;
end procedure;
procedure work(times)
variables i = 0;
begin
k1: while i < times do
k2:   call acquire();
k3:   count := (count + 1) % 3;
k4:   call release();
k5:   i := i + 1;
    end while;
k6: return;
end procedure;
process p \in 1..2
begin
p1: while TRUE do
p2:   call work(2);
    end while;
end process;
end algorithm; *)
\* BEGIN TRANSLATION
\* END TRANSLATION
====
