import streamlit as st

st.title("Kvalitet")
st.info("Siden er under opbygning.")
